package dev.phantom.zygote.snapshot;

import dev.phantom.store.core.Digest;
import io.vertx.core.Future;
import java.util.List;

/**
 * The fragment store as a snapshot sees it (the port; {@link BusSnapshotStore} is the real one). Failures
 * are {@code PhantomException}s carrying the store's status (a full store is RESOURCE_EXHAUSTED).
 */
public interface SnapshotStore {

  /** One chunk to upload: its name and uncompressed bytes. */
  record Chunk(Digest digest, byte[] data) {}

  /** Which of {@code digests} the store has; a "present" holds for the store's GC grace period. */
  Future<List<Boolean>> has(List<Digest> digests);

  /** Uploads chunks, durable once this completes; returns how many were new to the store. */
  Future<Long> put(List<Chunk> chunks);

  /** Stores the tree nodes of a manifest (the store refuses one whose trees or chunks it lacks). */
  Future<Void> putManifest(Digest root, List<byte[]> trees);

  /** Points {@code tag} at {@code manifest}, which keeps it from garbage collection. */
  Future<Void> setTag(String tag, Digest manifest);

  /** The manifest {@code tag} names; NOT_FOUND when there is no such tag. */
  Future<Digest> resolveTag(String tag);
}
