package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.proto.store.v1.CollectGarbageRequest;
import dev.phantom.proto.store.v1.GcReport;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.support.testing.SandboxHost;
import dev.phantom.zygote.workspace.Workspaces;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A snapshot that does not fit in the store is RESOURCE_EXHAUSTED, and the store takes the next one that fits. */
class SnapshotStoreFullIT {

  @Test
  void aFullStoreRefusesTheSnapshotAndStaysUsable() throws Exception {
    SandboxHost.assumeBubblewrap();
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root to mount a small tmpfs for the store");
    Path dir = Files.createTempDirectory("phantom-store-full");
    Path storeDir = Files.createDirectories(dir.resolve("store"));
    assertThat(new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", storeDir.toString()).start()
        .waitFor()).isZero();
    EmbeddedMesh mesh = null;
    try {
      JsonObject config = SnapshotIT.meshConfig(dir);
      // No grace: the collection below may take the failed snapshot's chunks at once.
      config.getJsonObject("store").put("dataDir", storeDir.resolve("data").toString()).put("gcGraceSeconds", 0);
      mesh = EmbeddedMesh.start(config);
      SnapshotIT.a = new SessionIT.Client(mesh.node.mesh().vertx(), mesh.grpcPort, SessionIT.KEY_A);
      Sandbox box = SnapshotIT.a.create(CreateSandboxRequest.newBuilder().setProfile("minimal").build());
      try {
        SnapshotIT.sh(box, "head -c 8000000 /dev/urandom > big");
        assertThatThrownBy(() -> SnapshotIT.snapshot(box))
            .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED));
        SnapshotIT.sh(box, "rm big && echo small > small");
        // What the failed snapshot managed to store is unreachable (no tag names it) and may fill the store:
        // a collection frees it. Its cutoff is one second before it starts (coarse file times), so wait that.
        Thread.sleep(1_500);
        GcReport gc = BusRpc.request(mesh.node.mesh().vertx().eventBus(), Addresses.STORE_GC,
            CollectGarbageRequest.getDefaultInstance(), GcReport.parser(), 30_000)
            .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertThat(gc.getReachableChunks()).isZero();
        assertThat(SnapshotIT.snapshot(box).getSnapshotId()).matches("[0-9a-f]{64}");
        // The session was thawed after the failure: it still runs commands.
        assertThat(SnapshotIT.sh(box, "cat small")).isEqualTo("small\n");
      } finally {
        SnapshotIT.a.destroy(box.getId());
      }
    } finally {
      if (mesh != null) {
        mesh.close();
      }
      new ProcessBuilder("umount", storeDir.toString()).start().waitFor();
      Workspaces.deleteTree(dir);
      Workspaces.deleteTree(SnapshotIT.state);
    }
  }
}
