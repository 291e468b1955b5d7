package dev.phantom.zygote.core;

import java.time.Duration;
import java.util.Optional;

/**
 * Resolves a session's idle timeout and maximum lifetime. Pure.
 *
 * @param idle destroyed after this long without a call naming it
 * @param maxLifetime destroyed this long after creation regardless
 */
public record SessionTimes(Duration idle, Duration maxLifetime) {

  public static final Duration DEFAULT_IDLE = Duration.ofMinutes(10);
  public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofHours(1);

  /**
   * Unset values take the defaults; the lifetime is capped at {@code cap} and the idle timeout at the
   * lifetime.
   *
   * @throws ZygoteException {@code INVALID_REQUEST} for a value that is zero or negative
   */
  public static SessionTimes resolve(Optional<Duration> idle, Optional<Duration> maxLifetime, Duration defaultIdle,
      Duration cap) {
    for (Optional<Duration> d : java.util.List.of(idle, maxLifetime)) {
      if (d.isPresent() && (d.get().isNegative() || d.get().isZero())) {
        throw new ZygoteException(ZygoteException.Reason.INVALID_REQUEST,
            "idle_timeout and max_lifetime must be positive when set, got " + d.get());
      }
    }
    Duration life = min(maxLifetime.orElse(DEFAULT_MAX_LIFETIME), cap);
    return new SessionTimes(min(idle.orElse(defaultIdle), life), life);
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
