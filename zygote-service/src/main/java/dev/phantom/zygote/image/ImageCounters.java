package dev.phantom.zygote.image;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the node cache did since start; also exported as {@code phantom_zygote_image_*} meters. Delta
 * sync shows here: a second version of an image fetches only the chunks of its changed files.
 */
public final class ImageCounters {

  final AtomicLong chunksFetched = new AtomicLong();
  final AtomicLong bytesFetched = new AtomicLong();
  final AtomicLong filesMaterialized = new AtomicLong();
  final AtomicLong treesMaterialized = new AtomicLong();
  final AtomicLong treesReused = new AtomicLong();
  final AtomicLong corruptChunks = new AtomicLong();
  final AtomicLong evictedTrees = new AtomicLong();
  final AtomicLong evictedFiles = new AtomicLong();
  final AtomicLong evictedChunks = new AtomicLong();
  final AtomicLong evictedBytes = new AtomicLong();
  /** Bytes of chunks and files as the last eviction check measured them. */
  final AtomicLong cacheBytes = new AtomicLong();

  public long chunksFetched() {
    return chunksFetched.get();
  }

  public long bytesFetched() {
    return bytesFetched.get();
  }

  public long filesMaterialized() {
    return filesMaterialized.get();
  }

  public long treesMaterialized() {
    return treesMaterialized.get();
  }

  public long treesReused() {
    return treesReused.get();
  }

  public long corruptChunks() {
    return corruptChunks.get();
  }

  public long evictedTrees() {
    return evictedTrees.get();
  }

  public long evictedFiles() {
    return evictedFiles.get();
  }

  public long evictedChunks() {
    return evictedChunks.get();
  }

  public long evictedBytes() {
    return evictedBytes.get();
  }

  public long cacheBytes() {
    return cacheBytes.get();
  }

  void register(MeterRegistry meters) {
    counter(meters, "phantom.zygote.image.chunks.fetched", chunksFetched, "Chunks fetched from the store into the node cache");
    counter(meters, "phantom.zygote.image.bytes.fetched", bytesFetched, "Uncompressed bytes of the chunks fetched");
    counter(meters, "phantom.zygote.image.files.materialized", filesMaterialized, "Files written into the node cache");
    counter(meters, "phantom.zygote.image.trees.materialized", treesMaterialized, "Image trees built on this node");
    counter(meters, "phantom.zygote.image.trees.reused", treesReused, "Materializations answered by a tree already built");
    counter(meters, "phantom.zygote.image.chunks.corrupt", corruptChunks, "Cached chunks found corrupt, deleted and fetched again");
    counter(meters, "phantom.zygote.image.evicted.trees", evictedTrees, "Image trees evicted from the node cache");
    counter(meters, "phantom.zygote.image.evicted.files", evictedFiles, "Files evicted from the node cache");
    counter(meters, "phantom.zygote.image.evicted.chunks", evictedChunks, "Chunks evicted from the node cache");
    counter(meters, "phantom.zygote.image.evicted.bytes", evictedBytes, "Bytes freed by evictions from the node cache");
    Gauge.builder("phantom.zygote.image.cache.bytes", cacheBytes, AtomicLong::get).baseUnit("bytes")
        .description("Bytes of chunks and files in the node cache at its last check").register(meters);
  }

  private static void counter(MeterRegistry meters, String name, AtomicLong value, String description) {
    FunctionCounter.builder(name, value, AtomicLong::get).description(description).register(meters);
  }

  @Override
  public String toString() {
    return "chunks fetched " + chunksFetched + " (" + bytesFetched + " bytes), files materialized " + filesMaterialized
        + ", trees materialized " + treesMaterialized + ", reused " + treesReused + ", corrupt chunks " + corruptChunks
        + ", evicted " + evictedTrees + " trees, " + evictedFiles + " files, " + evictedChunks + " chunks (" + evictedBytes + " bytes)";
  }
}
