package dev.phantom.gateway.core;

import java.time.Duration;
import java.util.Optional;

/** Turns a requested timeout into the one a run gets, within its profile's bounds. */
public final class TimeoutPolicy {

  private TimeoutPolicy() {}

  /**
   * @param requested what the client asked for; empty means the profile's default
   * @return the timeout in milliseconds
   * @throws IllegalArgumentException with a message for the client when the request is out of bounds
   */
  public static long resolve(Optional<Duration> requested, long defaultMs, long maxMs, String profile) {
    if (requested.isEmpty()) {
      return Math.min(defaultMs, maxMs);
    }
    Duration timeout = requested.get();
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive, got " + format(timeout));
    }
    if (timeout.toMillis() > maxMs) {
      throw new IllegalArgumentException("timeout " + format(timeout) + " is above the maximum of profile '"
          + profile + "' (" + format(Duration.ofMillis(maxMs)) + ")");
    }
    return Math.max(1, timeout.toMillis());
  }

  private static String format(Duration duration) {
    return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + "s" : duration.toMillis() + "ms";
  }
}
