package dev.phantom.zygote.snapshot;

import dev.phantom.store.core.Digest;
import java.util.List;

/**
 * What one snapshot stored.
 *
 * @param manifest the root tree's digest: the snapshot's id
 * @param files regular files (hardlinks included); {@code logicalBytes} counts hardlinked files once
 * @param uploadedBytes uncompressed bytes of the chunks sent to the store (those it did not have)
 * @param newChunks distinct chunks sent; {@code reusedChunks} the rest of the snapshot's chunks
 * @param skipped entries left out, each with why
 */
public record SnapshotResult(Digest manifest, long files, long logicalBytes, long uploadedBytes, long newChunks,
    long reusedChunks, long tookMs, List<String> skipped) {

  public SnapshotResult {
    skipped = List.copyOf(skipped);
  }
}
