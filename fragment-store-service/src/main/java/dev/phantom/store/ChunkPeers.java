package dev.phantom.store;

import dev.phantom.store.core.Digest;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;

/**
 * Where the store looks for verified copies of chunks that failed verification on its own disk: the
 * zygote nodes' caches, which keep every chunk they fetched (checked against its digest when fetched and
 * again when read). Docs: docs/fragment-store.md, "Reads".
 */
public interface ChunkPeers {

  /** No peers: a corrupt chunk is answered with DATA_LOSS at once. */
  ChunkPeers NONE = digests -> Future.succeededFuture(Map.of());

  /** A copy of a chunk, already checked against its digest, and the peer (node id) it came from. */
  record Found(byte[] data, String peer) {}

  /**
   * Copies of as many of {@code digests} as peers hold, each verified; never fails, an empty map when no
   * peer answered within the wait.
   */
  Future<Map<Digest, Found>> find(List<Digest> digests);
}
