package dev.phantom.orchestrator.core;

import java.time.Duration;

/** How long a node took to start a sandbox recently: the median and the 99th percentile. */
public record SpawnLatency(Duration p50, Duration p99) {

  public static final SpawnLatency UNKNOWN = new SpawnLatency(Duration.ZERO, Duration.ZERO);

  public SpawnLatency {
    if (p50.isNegative() || p99.isNegative() || p99.compareTo(p50) < 0) {
      throw new IllegalArgumentException("spawn latency needs 0 <= p50 <= p99: p50=" + p50 + " p99=" + p99);
    }
  }
}
