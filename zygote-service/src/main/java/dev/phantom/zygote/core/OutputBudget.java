package dev.phantom.zygote.core;

/**
 * How many bytes of one output stream to keep: the first {@code limit}, the rest is dropped while the
 * stream is still drained (a blocked writer would otherwise hang the sandbox until its timeout).
 * Not thread-safe: one reader owns it.
 */
public final class OutputBudget {

  private final long limit;
  private long kept;
  private boolean truncated;

  public OutputBudget(long limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must be >= 0: " + limit);
    }
    this.limit = limit;
  }

  /** Accounts a chunk of {@code length} bytes and returns how many of its first bytes to keep. */
  public int admit(int length) {
    long room = limit - kept;
    int keep = (int) Math.min(length, Math.max(room, 0));
    kept += keep;
    if (keep < length) {
      truncated = true;
    }
    return keep;
  }

  public boolean truncated() {
    return truncated;
  }

  public long kept() {
    return kept;
  }
}
