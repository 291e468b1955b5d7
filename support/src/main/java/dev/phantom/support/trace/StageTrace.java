package dev.phantom.support.trace;

import java.util.Arrays;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Timestamps of one request's stages, logged at FINE on {@code dev.phantom.trace} when it ends, so that
 * where a call's time goes can be read without a profiler (and collected by a benchmark in the same JVM:
 * the record's parameters are the trace's name, its stage names and their {@link System#nanoTime()}).
 * Costs nothing but one level check when FINE is off. Stages may be marked from several threads, one
 * after the other.
 */
public final class StageTrace {

  public static final String LOGGER = "dev.phantom.trace";
  private static final Logger LOG = Logger.getLogger(LOGGER);
  private static final StageTrace OFF = new StageTrace(null);

  private final String name;
  private String[] stages = new String[8];
  private long[] nanos = new long[8];
  private int count;

  private StageTrace(String name) {
    this.name = name;
  }

  /** A trace whose first stage, {@code "start"}, is now; a no-op one unless FINE is on for the trace logger. */
  public static StageTrace start(String name) {
    if (!LOG.isLoggable(Level.FINE)) {
      return OFF;
    }
    return new StageTrace(name).mark("start");
  }

  public StageTrace mark(String stage) {
    if (name != null) {
      long now = System.nanoTime();
      synchronized (this) {
        if (count == stages.length) {
          stages = Arrays.copyOf(stages, count * 2);
          nanos = Arrays.copyOf(nanos, count * 2);
        }
        stages[count] = stage;
        nanos[count++] = now;
      }
    }
    return this;
  }

  /** Marks {@code stage} and logs the trace: "name: stage +micros, ...". */
  public void end(String stage) {
    if (name == null) {
      return;
    }
    mark(stage);
    String[] s;
    long[] n;
    synchronized (this) {
      s = Arrays.copyOf(stages, count);
      n = Arrays.copyOf(nanos, count);
    }
    StringBuilder text = new StringBuilder(name).append(':');
    for (int i = 1; i < s.length; i++) {
      text.append(' ').append(s[i]).append(" +").append((n[i] - n[i - 1]) / 1000).append(" us");
    }
    LogRecord record = new LogRecord(Level.FINE, text.toString());
    record.setLoggerName(LOGGER);
    record.setParameters(new Object[] {name, s, n});
    LOG.log(record);
  }
}
