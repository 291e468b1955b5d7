package dev.phantom.zygote.snapshot;

import dev.phantom.api.v1.Snapshot;
import dev.phantom.store.core.ChunkingParams;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.SnapshotTags;
import dev.phantom.zygote.core.SandboxLauncher;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * Workspace snapshots of this node's sandboxes: taking one (the sandbox frozen while its workspace is read,
 * chunked here, only new chunks sent) and finding the base a sandbox forked from one starts on. A snapshot
 * is kept by the tag {@link SnapshotTags#tag} names for its owner: other API keys never find it.
 */
public final class Snapshots {

  private static final Logger LOG = Logger.getLogger(Snapshots.class.getName());
  /** How long a sandbox may take to stop every task before the snapshot goes ahead unfrozen. */
  static final long FREEZE_TIMEOUT_MS = 2_000;

  private final Vertx vertx;
  private final SnapshotStore store;
  private final SnapshotBases bases;

  public Snapshots(Vertx vertx, SnapshotStore store, SnapshotBases bases) {
    this.vertx = vertx;
    this.store = store;
    this.bases = bases;
  }

  /** Snapshots the workspace of {@code sandbox} for {@code owner}; completes on the caller's context. */
  public Future<Snapshot> take(String owner, String sandboxId, SandboxLauncher.Running sandbox) {
    Path dir = sandbox.workspaceDir().orElse(null);
    if (dir == null) {
      return Future.failedFuture(PhantomException.failedPrecondition("sandbox " + sandboxId
          + " has no workspace of its own on this node to snapshot"));
    }
    return vertx.executeBlocking(() -> {
      // Frozen, no process of the sandbox writes, renames or swaps a path for a link while the walk reads.
      boolean frozen = sandbox.freeze(true, FREEZE_TIMEOUT_MS);
      if (!frozen) {
        LOG.warning("sandbox " + sandboxId + " could not be frozen: its snapshot sees files as they are being written");
      }
      try {
        SnapshotResult r = new WorkspaceSnapshotter(store, ChunkingParams.DEFAULTS)
            .snapshot(dir, hex -> SnapshotTags.tag(owner, hex));
        return Snapshot.newBuilder().setSnapshotId(r.manifest().hex()).setFiles(r.files())
            .setLogicalBytes(r.logicalBytes()).setUploadedBytes(r.uploadedBytes()).setNewChunks(r.newChunks())
            .setReusedChunks(r.reusedChunks()).setTookMs(r.tookMs()).addAllSkipped(r.skipped()).build();
      } finally {
        sandbox.freeze(false, FREEZE_TIMEOUT_MS);
      }
    }, false).recover(failure -> Future.failedFuture(failure instanceof PhantomException ? failure
        : PhantomException.internal("snapshot of sandbox " + sandboxId + " failed: " + failure)));
  }

  /** The read-only tree a sandbox created from {@code snapshotId} starts on; NOT_FOUND when the owner has no such snapshot. */
  public Future<Path> base(String owner, String snapshotId) {
    String tag;
    try {
      tag = SnapshotTags.tag(owner, snapshotId);
    } catch (PhantomException e) {
      return Future.failedFuture(e);
    }
    return store.resolveTag(tag).recover(failure -> Future.failedFuture(
            failure instanceof PhantomException p && p.status() == GrpcStatus.NOT_FOUND
                ? PhantomException.notFound("no snapshot " + snapshotId + " (deleted, or taken with another API key)")
                : failure))
        .compose(manifest -> bases.materialize(manifest.hex()));
  }
}
