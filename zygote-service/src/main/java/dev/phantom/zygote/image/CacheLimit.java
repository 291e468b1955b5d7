package dev.phantom.zygote.image;

/**
 * How big the node cache may grow, and when a tree counts as in use without a mount.
 *
 * @param maxBytes bytes of {@code chunks/} and {@code files/} above which the cache evicts
 * @param graceMs a tree handed out this recently is never evicted, mounted or not: it covers the moment
 *     between materializing a tree and the sandbox (or overlay) that mounts it
 * @param checkEveryMs period of the check besides the one after each materialization; 0 = only after those
 */
public record CacheLimit(long maxBytes, long graceMs, long checkEveryMs) {

  public static final long DEFAULT_MAX_BYTES = 20L << 30;
  public static final long DEFAULT_GRACE_MS = 60_000;
  public static final long DEFAULT_CHECK_EVERY_MS = 60_000;

  public CacheLimit {
    if (maxBytes < 0 || graceMs < 0 || checkEveryMs < 0) {
      throw new IllegalArgumentException("cache limits must not be negative");
    }
  }

  public static CacheLimit of(long maxBytes) {
    return new CacheLimit(maxBytes, DEFAULT_GRACE_MS, DEFAULT_CHECK_EVERY_MS);
  }
}
