package dev.phantom.gateway;

import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gateway's run meters. Tags stay low-cardinality: profile names come from compiled profiles
 * (a run is only recorded once its profile was found), statuses from a closed enum. A profile's meters
 * are looked up once and kept: building them with their tags on every run cost more than recording.
 */
public final class RunMetrics {

  private final MeterRegistry registry;
  private final Map<String, ProfileMeters> byProfile = new ConcurrentHashMap<>();

  public RunMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** A spawn that never reached its node was placed again on another. */
  void retried() {
    Counter.builder("phantom.runs.retried")
        .description("One-shot runs placed a second time because their first node was gone before the spawn reached it")
        .register(registry)
        .increment();
  }

  /** A spawn refused while its node prepared the image was sent again. */
  void resentWhileImagePrepared() {
    Counter.builder("phantom.runs.image.waits")
        .description("One-shot runs sent again because their node was still materializing the profile's image")
        .register(registry)
        .increment();
  }

  void record(String profile, RunResult result) {
    ProfileMeters meters = byProfile.computeIfAbsent(profile, this::metersOf);
    meters.runs.computeIfAbsent(result.getStatus(), status -> Counter.builder("phantom.runs")
        .description("Runs that reached a result, by profile and status")
        .tags("profile", profile, "status", status.name().replace("RUN_STATUS_", "").toLowerCase())
        .register(registry)).increment();
    meters.duration.record(Duration.ofNanos(result.getTimings().getTotalMicros() * 1_000));
    meters.spawn.record(result.getTimings().getSpawnMicros() / 1e6);
  }

  private ProfileMeters metersOf(String profile) {
    return new ProfileMeters(new ConcurrentHashMap<>(),
        Timer.builder("phantom.run.duration")
            .description("Time from the gateway receiving a run to its result")
            .tags("profile", profile)
            .publishPercentileHistogram()
            .register(registry),
        DistributionSummary.builder("phantom.spawn.duration")
            .description("Time from the spawn request reaching a node to the sandboxed process running")
            .baseUnit("seconds")
            .tags("profile", profile)
            .publishPercentileHistogram()
            .register(registry));
  }

  private record ProfileMeters(Map<RunStatus, Counter> runs, Timer duration, DistributionSummary spawn) {}
}
