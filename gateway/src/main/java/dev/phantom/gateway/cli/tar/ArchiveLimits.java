package dev.phantom.gateway.cli.tar;

/**
 * How much an archive from a sandbox may unpack to on the host. A sandbox is untrusted: without a bound
 * it could fill the caller's disk with one header claiming a terabyte, or a million empty files.
 *
 * @param maxBytes total size of the files' contents; default {@value #DEFAULT_MAX_BYTES} (1 GiB)
 * @param maxEntries files, directories and links together; default {@value #DEFAULT_MAX_ENTRIES}
 */
public record ArchiveLimits(long maxBytes, int maxEntries) {

  public static final long DEFAULT_MAX_BYTES = 1L << 30;
  public static final int DEFAULT_MAX_ENTRIES = 100_000;
  public static final ArchiveLimits DEFAULTS = new ArchiveLimits(DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES);

  /** Per entry a tar spends a 512-byte header, padding, and at most a long-name or pax record or two. */
  private static final long OVERHEAD_PER_ENTRY = 2048;

  public ArchiveLimits {
    if (maxBytes <= 0 || maxEntries <= 0) {
      throw new IllegalArgumentException("archive limits must be positive, got " + maxBytes + " bytes, " + maxEntries + " entries");
    }
  }

  /** The largest archive stream worth receiving under these limits; more is refused while it arrives. */
  public long maxArchiveBytes() {
    return maxBytes + maxEntries * OVERHEAD_PER_ENTRY + 10_240;
  }
}
