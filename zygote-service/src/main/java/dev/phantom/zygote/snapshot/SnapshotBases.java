package dev.phantom.zygote.snapshot;

import io.vertx.core.Future;
import java.nio.file.Path;

/**
 * Where restored snapshots come from on this node (the port; the node's image cache is the real one): a
 * read-only tree of a manifest, shared by every sandbox forked from it, owned by the sandbox user.
 */
public interface SnapshotBases {

  /** The manifest's tree on this node, fetched and materialized once; callers must never write to it. */
  Future<Path> materialize(String manifestHex);

  /** No cache on this node: restoring is refused. */
  SnapshotBases NONE = hex -> Future.failedFuture(dev.phantom.support.PhantomException.failedPrecondition(
      "this node has no image cache to restore snapshots from"));
}
