package dev.phantom.store.core;

/**
 * FastCDC content-defined chunking with normalized chunking (Xia et al., "FastCDC: a Fast and
 * Efficient Content-Defined Chunking Approach for Data Deduplication", USENIX ATC 2016).
 *
 * <p>A gear hash {@code fp = (fp << 1) + GEAR[byte]} rolls over the data; a cut falls where the
 * masked bits of {@code fp} are all zero. Bit {@code k} of {@code fp} depends on the last {@code k+1}
 * bytes only, so the masks take the <em>top</em> bits: a cut then depends on a window of about 64
 * bytes, and an edit moves the cuts only near itself. Normalized chunking (level 2) uses a harder
 * mask (two more bits) before {@code avg} and an easier one (two fewer) after it, which pulls sizes
 * towards {@code avg}; the first {@code min} bytes are skipped without hashing.
 *
 * <p>Pure and thread-safe: the caller owns the buffer. The gear table is fixed (see {@link #GEAR_SEED}),
 * so the same bytes cut the same way on every node and in every version of the store; changing it
 * would only cost deduplication against older chunks, never correctness.
 */
public final class FastCdc {

  /** Normalization level: bits added to (or removed from) the average's mask. */
  static final int NORMALIZATION = 2;

  /**
   * Seed of the gear table: 256 values of SplitMix64 from here, deterministic, documented in
   * docs/fragment-store.md, and well mixed in every bit.
   */
  static final long GEAR_SEED = 0x5048414E544F4D31L; // "PHANTOM1"

  static final long[] GEAR = gearTable(GEAR_SEED);

  private final ChunkingParams params;
  private final long maskSmall;
  private final long maskLarge;

  public FastCdc(ChunkingParams params) {
    this.params = params;
    int bits = Integer.numberOfTrailingZeros(params.avg());
    this.maskSmall = topBits(bits + NORMALIZATION);
    this.maskLarge = topBits(Math.max(1, bits - NORMALIZATION));
  }

  public ChunkingParams params() {
    return params;
  }

  /**
   * Length of the chunk that starts at {@code off}.
   *
   * @param len bytes available from {@code off}; when fewer than {@code max} are available the caller
   *     must be at the end of its data (they are then all one chunk unless a cut is found)
   */
  public int cut(byte[] data, int off, int len) {
    if (len <= params.min()) {
      return len;
    }
    int end = Math.min(len, params.max());
    int normal = Math.min(end, params.avg());
    // Locals and absolute indexes: the JIT keeps the table, masks and index in registers and drops the
    // per-byte bounds checks it could not prove for data[off + i].
    long[] gear = GEAR;
    long small = maskSmall;
    long large = maskLarge;
    long fp = 0;
    int i = off + params.min();
    int stop = off + normal;
    for (; i < stop; i++) {
      fp = (fp << 1) + gear[data[i] & 0xff];
      if ((fp & small) == 0) {
        return i + 1 - off;
      }
    }
    stop = off + end;
    for (; i < stop; i++) {
      fp = (fp << 1) + gear[data[i] & 0xff];
      if ((fp & large) == 0) {
        return i + 1 - off;
      }
    }
    return end;
  }

  private static long topBits(int n) {
    return -1L << (64 - n);
  }

  static long[] gearTable(long seed) {
    long[] table = new long[256];
    long state = seed;
    for (int i = 0; i < table.length; i++) {
      state += 0x9E3779B97F4A7C15L;
      long z = state;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      table[i] = z ^ (z >>> 31);
    }
    return table;
  }
}
