package dev.phantom.zygote.core;

import java.time.Duration;

/**
 * When a warm pool's refill waits. Making a slot costs a few milliseconds of CPU (a bubblewrap spawn, a
 * tmpfs, a cgroup); started the moment a slot is taken, it competes with the very job that took the slot,
 * which on a two-core host showed as up to 1.4 ms more at the 90th percentile of the handover alone. So
 * while a pool still holds more than half its target, it is refilled once the jobs of taken slots have
 * ended, or {@link #MAX_WAIT} after the last take at the latest; below half, it is refilled at once.
 */
public final class RefillDeferral {

  /** Longest a pool above half its target waits for running jobs before it is refilled anyway. */
  public static final Duration MAX_WAIT = Duration.ofMillis(50);

  private RefillDeferral() {}

  /**
   * @param idle the pool's idle slots now
   * @param target how many it should hold (after any shrinking for memory pressure)
   * @param jobsRunning jobs of taken slots (of any pool of the node) that have not ended
   * @param sinceLastTake time since a slot was last taken
   */
  public static boolean waits(int idle, int target, int jobsRunning, Duration sinceLastTake) {
    return 2 * idle > target && jobsRunning > 0 && sinceLastTake.compareTo(MAX_WAIT) < 0;
  }
}
