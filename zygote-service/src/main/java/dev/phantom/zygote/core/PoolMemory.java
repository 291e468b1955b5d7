package dev.phantom.zygote.core;

import java.util.Map;

/**
 * How many warm slots memory allows, and when pools must shrink. Pure: the caller measures.
 *
 * <p>Idle slots are memory held for requests that may never come, so they may take at most a fraction of
 * the memory the host has available (its MemAvailable plus what the slots themselves hold, since destroying
 * them would give that back).
 */
public final class PoolMemory {

  /** Share of available memory idle slots may hold, all pools together. */
  public static final double DEFAULT_SHARE = 0.25;

  /** Memory pressure (PSI "some" avg10, percent) above which pools shrink. */
  public static final double DEFAULT_SHRINK_PRESSURE = 10.0;

  private PoolMemory() {}

  /**
   * The most slots {@code profile}'s pool may hold.
   *
   * @param availableBytes MemAvailable now
   * @param share fraction of memory idle slots may take
   * @param slotBytes what one idle slot of the profile costs (PSS of its processes, or an estimate)
   * @param heldBytes what each pool's idle slots hold now, by profile (this profile's included)
   */
  public static int ceiling(String profile, long availableBytes, double share, long slotBytes, Map<String, Long> heldBytes) {
    long held = heldBytes.values().stream().mapToLong(Long::longValue).sum();
    long own = heldBytes.getOrDefault(profile, 0L);
    long budget = (long) ((availableBytes + held) * share) - (held - own);
    if (budget <= 0 || slotBytes <= 0) {
      return budget <= 0 ? 0 : Integer.MAX_VALUE;
    }
    return (int) Math.min(Integer.MAX_VALUE, budget / slotBytes);
  }

  /**
   * The size a pool keeps under pressure: halved while memory pressure is above the threshold, restored
   * once it is below.
   */
  public static int effectiveTarget(int target, double memoryPressure, double threshold) {
    return memoryPressure > threshold ? target / 2 : target;
  }
}
