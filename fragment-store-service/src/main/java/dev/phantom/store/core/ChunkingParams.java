package dev.phantom.store.core;

/**
 * Sizes for content-defined chunking. {@code avg} must be a power of two: the cut masks have
 * log2(avg) bits (plus or minus the normalization level).
 *
 * @param min no chunk is shorter, except the last one of a file
 * @param avg the size chunks gather around
 * @param max no chunk is longer; a cut is forced here
 */
public record ChunkingParams(int min, int avg, int max) {

  public static final int DEFAULT_MIN = 16 * 1024;
  public static final int DEFAULT_AVG = 64 * 1024;
  public static final int DEFAULT_MAX = 256 * 1024;
  /** Smallest sizes accepted: below this the per-chunk overhead (a file, a hash) dominates. */
  public static final int LOWEST_MIN = 64;
  /** Largest chunk accepted: whole chunks are held in memory while they are hashed and compressed. */
  public static final int HIGHEST_MAX = 16 << 20;

  public static final ChunkingParams DEFAULTS = new ChunkingParams(DEFAULT_MIN, DEFAULT_AVG, DEFAULT_MAX);

  public ChunkingParams {
    if (min < LOWEST_MIN || !(min < avg && avg < max) || max > HIGHEST_MAX || Integer.bitCount(avg) != 1) {
      throw new IllegalArgumentException("chunk sizes must satisfy " + LOWEST_MIN + " <= min < avg < max <= "
          + HIGHEST_MAX + " with avg a power of two; got min=" + min + " avg=" + avg + " max=" + max);
    }
  }
}
