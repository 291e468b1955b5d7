package dev.phantom.orchestrator;

import dev.phantom.orchestrator.core.AdmissionController;
import dev.phantom.orchestrator.core.PressureThresholds;
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
 * @param thresholds when a node counts as under pressure (keys {@code cpuSomePercent} 80,
 *     {@code memorySomePercent} 20, {@code memoryFullPercent} 5, {@code ioFullPercent} 20, {@code minFreeMemoryMb} 256)
 * @param admission the queue and adaptive limit in front of placement (keys {@code maxQueueWaitMs} 250,
 *     {@code maxQueued} 1024, {@code retryAfterMs} 1000, {@code initialLimit} 64, {@code maxLimit} 4096,
 *     {@code slowSpawnMs} 2000)
 * @param pressuredPerNode placements in flight per ready node still admitted while every node is under
 *     pressure, so a busy cluster (or one busy host) serves a trickle instead of nothing
 *     (key {@code pressuredPerNode}, default {@value #DEFAULT_PRESSURED_PER_NODE}; 0 sheds everything then)
 * @param placementGrace a placement whose PlacementDone has not come this long after its run's timeout is
 *     forgotten, its permit freed (key {@code placementGraceMs}, default {@value #DEFAULT_PLACEMENT_GRACE_MS})
 * @param poolSizingInterval how often warm-pool sizes are sent to nodes; zero turns sizing off
 *     (key {@code poolSizingIntervalMs}, default {@value #DEFAULT_POOL_SIZING_INTERVAL_MS})
 */
public record OrchestratorConfig(Duration staleAfter, Duration sweepInterval, PressureThresholds thresholds,
    AdmissionController.Options admission, int pressuredPerNode, Duration placementGrace,
    Duration poolSizingInterval) {

  public static final long DEFAULT_STALE_AFTER_MS = 2_000;
  public static final long DEFAULT_SWEEP_INTERVAL_MS = 500;
  public static final long DEFAULT_PLACEMENT_GRACE_MS = 30_000;
  public static final int DEFAULT_PRESSURED_PER_NODE = 16;
  public static final long DEFAULT_POOL_SIZING_INTERVAL_MS = 5_000;

  private static final List<String> KEYS = List.of("staleAfterMs", "sweepIntervalMs", "cpuSomePercent",
      "memorySomePercent", "memoryFullPercent", "ioFullPercent", "minFreeMemoryMb", "maxQueueWaitMs", "maxQueued",
      "retryAfterMs", "initialLimit", "maxLimit", "slowSpawnMs", "pressuredPerNode", "placementGraceMs",
      "poolSizingIntervalMs");

  public static OrchestratorConfig from(JsonObject json) {
    ConfigReader reader = new ConfigReader("orchestrator", json, KEYS);
    PressureThresholds defaults = PressureThresholds.DEFAULTS;
    AdmissionController.Options admission = AdmissionController.Options.DEFAULTS;
    long initial = reader.integer("initialLimit", admission.initialLimit(), admission.minLimit(), 1_000_000);
    long max = reader.integer("maxLimit", admission.maxLimit(), admission.minLimit(), 1_000_000);
    if (max < initial) {
      reader.problem("maxLimit (" + max + ") must be at least initialLimit (" + initial + ")");
      max = initial;
    }
    OrchestratorConfig config = new OrchestratorConfig(
        Duration.ofMillis(reader.integer("staleAfterMs", DEFAULT_STALE_AFTER_MS, 100, 600_000)),
        Duration.ofMillis(reader.integer("sweepIntervalMs", DEFAULT_SWEEP_INTERVAL_MS, 10, 60_000)),
        new PressureThresholds(
            reader.integer("cpuSomePercent", (long) defaults.cpuSome(), 1, 100),
            reader.integer("memoryFullPercent", (long) defaults.memoryFull(), 1, 100),
            reader.integer("memorySomePercent", (long) defaults.memorySome(), 1, 100),
            reader.integer("ioFullPercent", (long) defaults.ioFull(), 1, 100),
            reader.integer("minFreeMemoryMb", defaults.minFreeMemoryBytes() >> 20, 0, 1L << 30) << 20),
        new AdmissionController.Options(
            Duration.ofMillis(reader.integer("maxQueueWaitMs", admission.maxQueueWait().toMillis(), 0, 60_000)),
            (int) reader.integer("maxQueued", admission.maxQueued(), 0, 1_000_000),
            Duration.ofMillis(reader.integer("retryAfterMs", admission.retryAfter().toMillis(), 1, 3_600_000)),
            (int) initial, admission.minLimit(), (int) max,
            Duration.ofMillis(reader.integer("slowSpawnMs", admission.slowSpawn().toMillis(), 1, 600_000))),
        (int) reader.integer("pressuredPerNode", DEFAULT_PRESSURED_PER_NODE, 0, 100_000),
        Duration.ofMillis(reader.integer("placementGraceMs", DEFAULT_PLACEMENT_GRACE_MS, 1_000, 3_600_000)),
        Duration.ofMillis(reader.integer("poolSizingIntervalMs", DEFAULT_POOL_SIZING_INTERVAL_MS, 0, 3_600_000)));
    reader.validate();
    return config;
  }
}
