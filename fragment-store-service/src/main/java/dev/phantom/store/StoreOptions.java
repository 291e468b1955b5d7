package dev.phantom.store;

import dev.phantom.store.core.ChunkingParams;
import java.time.Duration;

/**
 * How a {@link FragmentStore} stores.
 *
 * @param chunking chunk sizes for imports
 * @param zstdLevel compression level of stored objects
 * @param gcGrace objects newer than this are never collected, reachable or not: a client's uploaded
 *     chunks wait this long for the manifest and tag that name them
 * @param fsync false only for benchmarks: a crash may then lose acknowledged writes
 * @param workers threads that compress and write chunks during an import
 */
public record StoreOptions(ChunkingParams chunking, int zstdLevel, Duration gcGrace, boolean fsync, int workers) {

  public static final int DEFAULT_ZSTD_LEVEL = 1;
  public static final Duration DEFAULT_GC_GRACE = Duration.ofHours(1);
  /** Largest tree node: a directory of about half a million entries. */
  public static final int MAX_TREE_BYTES = 64 << 20;

  public static StoreOptions defaults() {
    return new StoreOptions(ChunkingParams.DEFAULTS, DEFAULT_ZSTD_LEVEL, DEFAULT_GC_GRACE, true, defaultWorkers());
  }

  /**
   * Twice the cores, at least four: a worker waits on fsync as much as it compresses, so more of them
   * than cores keep the CPU busy while others wait on the disk.
   */
  public static int defaultWorkers() {
    return Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
  }

  public StoreOptions withGcGrace(Duration grace) {
    return new StoreOptions(chunking, zstdLevel, grace, fsync, workers);
  }

  public StoreOptions withFsync(boolean on) {
    return new StoreOptions(chunking, zstdLevel, gcGrace, on, workers);
  }
}
