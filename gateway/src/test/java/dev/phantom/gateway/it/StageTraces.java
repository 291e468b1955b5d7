package dev.phantom.gateway.it;

import dev.phantom.support.trace.StageTrace;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects the {@link StageTrace}s logged in this JVM during a benchmark's rounds and prints each stage
 * (of every trace, from the client's call to its result) at its median time since the call, with the
 * percentiles of the step from the stage before.
 */
final class StageTraces extends Handler {

  private record Event(String label, long nanos) {}

  private final List<Event> current = new ArrayList<>();
  private final List<Map<String, Long>> rounds = new ArrayList<>();

  /** Held, since the log manager keeps loggers only weakly and would forget the level set here. */
  private static final Logger LOGGER = Logger.getLogger(StageTrace.LOGGER);

  static StageTraces install() {
    StageTraces traces = new StageTraces();
    Logger logger = LOGGER;
    logger.setLevel(Level.FINE);
    logger.setUseParentHandlers(false);
    logger.addHandler(traces);
    return traces;
  }

  @Override
  public synchronized void publish(LogRecord record) {
    Object[] p = record.getParameters();
    if (p == null || p.length != 3) {
      return;
    }
    String name = (String) p[0];
    String[] stages = (String[]) p[1];
    long[] nanos = (long[]) p[2];
    for (int i = 0; i < stages.length; i++) {
      current.add(new Event(name + "." + stages[i], nanos[i]));
    }
  }

  synchronized void clear() {
    current.clear();
  }

  /** Ends one round: the client called at {@code t0} and had its result at {@code t1}. */
  synchronized void round(long t0, long t1) {
    Map<String, Long> at = new LinkedHashMap<>();
    at.put("client.call", 0L);
    for (Event e : current) {
      at.putIfAbsent(e.label(), e.nanos() - t0);
    }
    at.put("client.result", t1 - t0);
    rounds.add(at);
    current.clear();
  }

  /**
   * Every stage seen in at least half of the rounds, in the order of its median time since the call, with
   * the percentiles of the step from the stage before it (in rounds that have both).
   */
  synchronized void print(int expected) {
    Map<String, List<Long>> offsets = new LinkedHashMap<>();
    for (Map<String, Long> at : rounds) {
      at.forEach((label, nanos) -> offsets.computeIfAbsent(label, k -> new ArrayList<>()).add(nanos));
    }
    List<String> labels = offsets.keySet().stream()
        .filter(label -> offsets.get(label).size() * 2 >= expected)
        .sorted(Comparator.comparingLong(label -> median(offsets.get(label))))
        .toList();
    for (int i = 0; i < labels.size(); i++) {
      String label = labels.get(i);
      String step = "";
      if (i > 0) {
        String before = labels.get(i - 1);
        long[] diffs = rounds.stream().filter(at -> at.containsKey(label) && at.containsKey(before))
            .mapToLong(at -> (at.get(label) - at.get(before)) / 1000).toArray();
        step = WarmRunBenchmark.stats(diffs);
      }
      System.out.printf("  %-32s at %6.2f ms   step %s%n", label, median(offsets.get(label)) / 1e6, step);
    }
  }

  private static long median(List<Long> values) {
    return values.stream().sorted().toList().get(values.size() / 2);
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}
}
