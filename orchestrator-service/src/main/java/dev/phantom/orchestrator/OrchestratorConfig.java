package dev.phantom.orchestrator;

import dev.phantom.support.config.ConfigReader;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;

/**
 * The orchestrator's settings (section {@code orchestrator} of the node config).
 *
 * @param staleAfter a zygote node silent for this long is dropped and reported lost
 *     (key {@code staleAfterMs}, default {@value #DEFAULT_STALE_AFTER_MS} ms; nodes report every 500 ms)
 * @param sweepInterval how often silent nodes are looked for
 *     (key {@code sweepIntervalMs}, default {@value #DEFAULT_SWEEP_INTERVAL_MS} ms)
 */
public record OrchestratorConfig(Duration staleAfter, Duration sweepInterval) {

  public static final long DEFAULT_STALE_AFTER_MS = 2_000;
  public static final long DEFAULT_SWEEP_INTERVAL_MS = 500;

  public static OrchestratorConfig from(JsonObject json) {
    ConfigReader reader = new ConfigReader("orchestrator", json, List.of("staleAfterMs", "sweepIntervalMs"));
    OrchestratorConfig config = new OrchestratorConfig(
        Duration.ofMillis(reader.integer("staleAfterMs", DEFAULT_STALE_AFTER_MS, 100, 600_000)),
        Duration.ofMillis(reader.integer("sweepIntervalMs", DEFAULT_SWEEP_INTERVAL_MS, 10, 60_000)));
    reader.validate();
    return config;
  }
}
