package dev.phantom.store;

import dev.phantom.store.core.ChunkStore;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.TagStore;
import java.util.HashSet;
import java.util.Set;

/**
 * What the store holds, measured by listing it (cost: one stat per object and a header read per chunk).
 *
 * @param logicalBytes bytes of the regular files of every tagged manifest (each manifest once)
 * @param uniqueBytes uncompressed bytes of the distinct chunks stored
 * @param storedBytes bytes on disk of chunks and trees
 */
public record StoreStats(long tags, long manifests, long chunks, long trees, long logicalBytes, long uniqueBytes,
    long storedBytes) {

  /** Logical over unique bytes: how many times each stored byte is used. 0 for an empty store. */
  public double dedupRatio() {
    return uniqueBytes == 0 ? 0 : (double) logicalBytes / uniqueBytes;
  }

  /** Logical over stored bytes: dedup and compression together. */
  public double savingsRatio() {
    return storedBytes == 0 ? 0 : (double) logicalBytes / storedBytes;
  }

  static StoreStats measure(FragmentStore store, ChunkStore chunks, ChunkStore trees, TagStore tags) {
    var tagMap = tags.list();
    Set<Digest> manifests = new HashSet<>(tagMap.values());
    long logical = 0;
    for (Digest m : manifests) {
      logical += store.logicalBytes(m);
    }
    long[] c = new long[4]; // chunks, unique, trees, stored
    chunks.forEach(s -> {
      c[0]++;
      c[1] += Math.max(0, chunks.rawSize(s.digest()));
      c[3] += s.storedBytes();
    });
    trees.forEach(s -> {
      c[2]++;
      c[3] += s.storedBytes();
    });
    return new StoreStats(tagMap.size(), manifests.size(), c[0], c[2], logical, c[1], c[3]);
  }
}
