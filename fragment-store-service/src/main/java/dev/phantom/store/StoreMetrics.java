package dev.phantom.store;

import dev.phantom.store.core.ChunkStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** The store's meters (exported as {@code phantom_store_*}); tags are low-cardinality only. */
public final class StoreMetrics {

  private final Counter chunksWritten;
  private final Counter chunksDeduplicated;
  private final Counter bytesIngested;
  private final Counter bytesStored;
  private final Counter corruptChunks;
  private final Counter corruptTrees;
  private final Counter chunksRefetched;
  private final Counter gcRuns;
  private final Counter gcDeleted;
  private final Counter gcFreedBytes;

  public StoreMetrics(MeterRegistry registry) {
    chunksWritten = Counter.builder("phantom.store.chunks.written").description("chunks newly stored").register(registry);
    chunksDeduplicated = Counter.builder("phantom.store.chunks.deduplicated")
        .description("chunk puts that found the chunk already stored").register(registry);
    bytesIngested = Counter.builder("phantom.store.bytes.ingested").baseUnit("bytes")
        .description("uncompressed bytes of every chunk put").register(registry);
    bytesStored = Counter.builder("phantom.store.bytes.stored").baseUnit("bytes")
        .description("compressed bytes written for new chunks").register(registry);
    corruptChunks = Counter.builder("phantom.store.corrupt").tag("kind", "chunk")
        .description("objects that failed verification on read (set aside, never served)").register(registry);
    corruptTrees = Counter.builder("phantom.store.corrupt").tag("kind", "tree")
        .description("objects that failed verification on read (set aside, never served)").register(registry);
    chunksRefetched = Counter.builder("phantom.store.chunks.refetched")
        .description("corrupt chunks rewritten from a verified copy on a zygote node").register(registry);
    gcRuns = Counter.builder("phantom.store.gc.runs").register(registry);
    gcDeleted = Counter.builder("phantom.store.gc.deleted").description("objects collected").register(registry);
    gcFreedBytes = Counter.builder("phantom.store.gc.freed").baseUnit("bytes").register(registry);
  }

  public static StoreMetrics none() {
    return new StoreMetrics(new SimpleMeterRegistry());
  }

  void chunkPut(long rawBytes, ChunkStore.Put put) {
    bytesIngested.increment(rawBytes);
    if (put.written()) {
      chunksWritten.increment();
      bytesStored.increment(put.storedBytes());
    } else {
      chunksDeduplicated.increment();
    }
  }

  void corrupt(String kind) {
    (kind.equals("tree") ? corruptTrees : corruptChunks).increment();
  }

  void refetched() {
    chunksRefetched.increment();
  }

  void collected(GcReport report) {
    gcRuns.increment();
    gcDeleted.increment(report.deletedChunks() + report.deletedTrees());
    gcFreedBytes.increment(report.freedBytes());
  }
}
