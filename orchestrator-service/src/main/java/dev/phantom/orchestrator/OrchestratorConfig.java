package dev.phantom.orchestrator;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The orchestrator's settings (section {@code orchestrator} of the node config).
 *
 * @param staleAfter a zygote node silent for this long is dropped and reported lost
 *     (default {@value #DEFAULT_STALE_AFTER_MS} ms; nodes report every 500 ms)
 * @param sweepInterval how often silent nodes are looked for (default {@value #DEFAULT_SWEEP_INTERVAL_MS} ms)
 */
public record OrchestratorConfig(Duration staleAfter, Duration sweepInterval) {

  public static final long DEFAULT_STALE_AFTER_MS = 2_000;
  public static final long DEFAULT_SWEEP_INTERVAL_MS = 500;

  public static OrchestratorConfig from(JsonObject json) {
    List<String> problems = new ArrayList<>();
    long stale = positive(json, "staleAfterMs", DEFAULT_STALE_AFTER_MS, problems);
    long sweep = positive(json, "sweepIntervalMs", DEFAULT_SWEEP_INTERVAL_MS, problems);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("orchestrator config: " + String.join("; ", problems));
    }
    return new OrchestratorConfig(Duration.ofMillis(stale), Duration.ofMillis(sweep));
  }

  private static long positive(JsonObject json, String key, long fallback, List<String> problems) {
    Object value = json.getValue(key, fallback);
    if (!(value instanceof Number number) || number.longValue() <= 0) {
      problems.add(key + " must be a positive number of milliseconds, got " + value);
      return fallback;
    }
    return number.longValue();
  }
}
