package dev.phantom.store.ingest;

import dev.phantom.store.core.Digest;
import java.time.Duration;

/**
 * What an import made.
 *
 * @param format "tar", "oci" (with its layer count) or "directory"
 * @param files regular files, hardlinks included
 * @param logicalBytes bytes of those files (hardlinked ones once)
 * @param chunks chunks cut; {@code newChunks} of them were not in the store and took {@code newStoredBytes}
 */
public record ImportResult(String tag, Digest manifest, String format, int layers, long files, long logicalBytes,
    long chunks, long newChunks, long newStoredBytes, Duration took) {}
