package dev.phantom.zygote.image;

import io.micrometer.core.instrument.FunctionCounter;
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

  void register(MeterRegistry meters) {
    counter(meters, "phantom.zygote.image.chunks.fetched", chunksFetched, "Chunks fetched from the store into the node cache");
    counter(meters, "phantom.zygote.image.bytes.fetched", bytesFetched, "Uncompressed bytes of the chunks fetched");
    counter(meters, "phantom.zygote.image.files.materialized", filesMaterialized, "Files written into the node cache");
    counter(meters, "phantom.zygote.image.trees.materialized", treesMaterialized, "Image trees built on this node");
    counter(meters, "phantom.zygote.image.trees.reused", treesReused, "Materializations answered by a tree already built");
    counter(meters, "phantom.zygote.image.chunks.corrupt", corruptChunks, "Cached chunks found corrupt, deleted and fetched again");
  }

  private static void counter(MeterRegistry meters, String name, AtomicLong value, String description) {
    FunctionCounter.builder(name, value, AtomicLong::get).description(description).register(meters);
  }

  @Override
  public String toString() {
    return "chunks fetched " + chunksFetched + " (" + bytesFetched + " bytes), files materialized " + filesMaterialized
        + ", trees materialized " + treesMaterialized + ", reused " + treesReused + ", corrupt chunks " + corruptChunks;
  }
}
