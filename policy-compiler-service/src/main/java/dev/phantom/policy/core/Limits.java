package dev.phantom.policy.core;

import java.time.Duration;
import java.util.Objects;

/**
 * Run limits a profile grants.
 *
 * @param defaultTimeout used when a run asks for none
 * @param maxTimeout the most a run may ask for
 * @param maxOutputBytes per stream (stdout, stderr)
 */
public record Limits(Duration defaultTimeout, Duration maxTimeout, long maxOutputBytes) {

  public Limits {
    Objects.requireNonNull(defaultTimeout, "defaultTimeout");
    Objects.requireNonNull(maxTimeout, "maxTimeout");
    if (defaultTimeout.isNegative() || defaultTimeout.isZero()) {
      throw new IllegalArgumentException("default timeout must be positive");
    }
    if (defaultTimeout.compareTo(maxTimeout) > 0) {
      throw new IllegalArgumentException("default timeout " + defaultTimeout.toMillis()
          + " ms exceeds max timeout " + maxTimeout.toMillis() + " ms");
    }
    if (maxTimeout.toMillis() > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException("max timeout does not fit in 32 bits of milliseconds");
    }
    if (maxOutputBytes <= 0) {
      throw new IllegalArgumentException("max output must be positive");
    }
  }
}
