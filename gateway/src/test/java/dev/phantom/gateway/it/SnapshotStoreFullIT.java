package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.support.PhantomException;
import dev.phantom.support.testing.SandboxHost;
import dev.phantom.zygote.workspace.Workspaces;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
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
      config.getJsonObject("store").put("dataDir", storeDir.resolve("data").toString());
      mesh = EmbeddedMesh.start(config);
      SnapshotIT.a = new SessionIT.Client(mesh.node.mesh().vertx(), mesh.grpcPort, SessionIT.KEY_A);
      Sandbox box = SnapshotIT.a.create(CreateSandboxRequest.newBuilder().setProfile("minimal").build());
      try {
        SnapshotIT.sh(box, "head -c 8000000 /dev/urandom > big");
        assertThatThrownBy(() -> SnapshotIT.snapshot(box))
            .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED));
        SnapshotIT.sh(box, "rm big && echo small > small");
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
