package dev.phantom.zygote.core;

import java.util.Arrays;

/**
 * The spawn times of a node's last {@value #WINDOW} runs, for the percentiles its report carries. A fixed
 * window rather than a time-decayed histogram: the orchestrator sizes warm pools from the refill time a
 * node shows now, and 256 runs is a few seconds of a busy node or the last minutes of an idle one.
 * Thread-safe (recorded on the event loop, read by the report timer; cheap either way).
 */
public final class RecentSpawns {

  public static final int WINDOW = 256;

  private final long[] micros = new long[WINDOW];
  private int next;
  private int count;

  public synchronized void record(long spawnMicros) {
    micros[next] = Math.max(0, spawnMicros);
    next = (next + 1) % WINDOW;
    count = Math.min(WINDOW, count + 1);
  }

  /** The {@code q}-quantile (0-1, nearest rank) of the window in microseconds; 0 before the first run. */
  public synchronized long percentile(double q) {
    if (count == 0) {
      return 0;
    }
    long[] sorted = Arrays.copyOf(micros, count);
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(q * count);
    return sorted[Math.max(0, Math.min(count, rank) - 1)];
  }
}
