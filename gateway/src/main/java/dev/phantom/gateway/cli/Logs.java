package dev.phantom.gateway.cli;

import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** One-line logs on stderr; the cluster library's chatter only when it matters. */
final class Logs {

  /** Held so the configured levels survive: JUL keeps loggers only weakly. */
  private static final java.util.List<Logger> CONFIGURED = new java.util.ArrayList<>();

  private Logs() {}

  static void configure(Level phantomLevel) {
    if (System.getProperty("java.util.logging.config.file") != null) {
      return;
    }
    LogManager.getLogManager().reset();
    ConsoleHandler handler = new ConsoleHandler();
    handler.setLevel(Level.ALL);
    handler.setFormatter(new Formatter() {
      @Override
      public String format(LogRecord record) {
        String thrown = record.getThrown() == null ? "" : " (" + record.getThrown() + ")";
        String logger = record.getLoggerName() == null ? "" : record.getLoggerName();
        return String.format("%1$tT.%1$tL %2$-7s %3$s: %4$s%5$s%n", record.getMillis(), record.getLevel(),
            logger.substring(logger.lastIndexOf('.') + 1), formatMessage(record), thrown);
      }
    });
    Logger root = Logger.getLogger("");
    root.addHandler(handler);
    root.setLevel(Level.WARNING);
    level("dev.phantom", phantomLevel);
    level("com.hazelcast", Level.SEVERE);
    level("io.netty", Level.SEVERE);
    // vertx-micrometer warns once that an event-bus gauge is registered twice: harmless, not for users.
    level("io.micrometer", Level.SEVERE);
  }

  private static void level(String name, Level level) {
    Logger logger = Logger.getLogger(name);
    logger.setLevel(level);
    CONFIGURED.add(logger);
  }
}
