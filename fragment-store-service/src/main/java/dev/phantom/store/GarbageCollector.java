package dev.phantom.store;

import dev.phantom.store.core.ChunkStore;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.TagStore;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Mark and sweep. Mark: every tag's manifest, walked (a tree that cannot be read stops the
 * collection: what lies below it is unknown, so nothing may be swept). Sweep: trees first, then
 * chunks, each deleted only when unmarked and older than the cutoff (see {@link FragmentStore}).
 * A crash mid-sweep leaves only unreachable objects deleted or not: nothing to repair.
 */
final class GarbageCollector {

  private static final Logger LOG = Logger.getLogger(GarbageCollector.class.getName());

  private GarbageCollector() {}

  static GcReport run(FragmentStore store, ChunkStore chunks, ChunkStore trees, TagStore tags, Instant cutoff,
      StoreMetrics metrics) {
    long start = System.nanoTime();
    Set<Digest> liveTrees = new HashSet<>();
    Set<Digest> liveChunks = new HashSet<>();
    Set<Digest> roots = new HashSet<>(tags.list().values());
    for (Digest root : roots) {
      // A missing chunk (set aside as corrupt) needs no protection; a missing tree stops the collection.
      FragmentStore.Walk walk = store.walk(root, FragmentStore.WalkMode.LIST);
      liveTrees.addAll(walk.treeDigests());
      liveChunks.addAll(walk.chunkDigests());
    }
    long[] counts = new long[4]; // deleted trees, deleted chunks, freed bytes, kept young
    trees.forEach(stored -> sweep(trees, stored, liveTrees, cutoff, counts, 0));
    chunks.forEach(stored -> sweep(chunks, stored, liveChunks, cutoff, counts, 1));
    trees.sync();
    chunks.sync();
    GcReport report = new GcReport(cutoff, roots.size(), liveTrees.size(), liveChunks.size(), counts[0], counts[1],
        counts[2], counts[3], Duration.ofNanos(System.nanoTime() - start));
    metrics.collected(report);
    LOG.info("garbage collection: " + report);
    return report;
  }

  private static void sweep(ChunkStore store, ChunkStore.Stored stored, Set<Digest> live, Instant cutoff, long[] counts,
      int slot) {
    if (live.contains(stored.digest())) {
      return;
    }
    if (store.deleteIfOlder(stored.digest(), cutoff)) {
      counts[slot]++;
      counts[2] += stored.storedBytes();
    } else {
      counts[3]++;
    }
  }
}
