package dev.phantom.gateway.it;

import static dev.phantom.gateway.it.EmbeddedMesh.await;
import static dev.phantom.gateway.it.EmbeddedMesh.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.ExecStart;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.proto.store.v1.ImportCall;
import dev.phantom.proto.store.v1.ImportHeader;
import dev.phantom.proto.store.v1.ImportReply;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Profiles naming an image, end to end: a profile directory with {@code image:}, an image imported into the
 * store, and {@code Run} (and a session) through the public gRPC API on the whole mesh in this JVM.
 */
class ImageRunIT {

  private static EmbeddedMesh mesh;
  private static Path dir;

  @BeforeAll
  static void start() throws Exception {
    SandboxHost.assumeBubblewrap();
    dir = Files.createTempDirectory("phantom-image-it");
    Path profiles = Files.createDirectories(dir.resolve("profiles"));
    // The image holds data only; the host's /usr comes from minimal's mounts, which go on top of it.
    Files.writeString(profiles.resolve("it-imaged.yaml"), "name: it-imaged\nextends: minimal\nimage: it-data:1\n");
    Files.writeString(profiles.resolve("it-ghost.yaml"), "name: it-ghost\nextends: minimal\nimage: it-ghost:1\n");
    Path image = Files.createDirectories(dir.resolve("src/image/data"));
    Files.writeString(image.resolve("hello.txt"), "hello from the image\n");
    Files.createDirectories(dir.resolve("src/image/etc"));
    Files.writeString(dir.resolve("src/image/etc/motd"), "welcome\n");
    mesh = EmbeddedMesh.start(new JsonObject()
        .put("policy", new JsonObject().put("profileDirs", new JsonArray().add(profiles.toString())))
        .put("store", new JsonObject().put("dataDir", dir.resolve("store").toString())
            .put("importRoots", new JsonArray().add(dir.resolve("src").toString()))));
    ImportReply imported = await(BusRpc.request(mesh.node.mesh().vertx().eventBus(), Addresses.STORE_IMPORT,
        ImportCall.newBuilder().setUploadId("it-image").setBegin(ImportHeader.newBuilder().setName("it-data:1")
            .setHostPath(dir.resolve("src/image").toString())).build(), ImportReply.parser(), 60_000));
    assertThat(imported.getResult().getFiles()).isEqualTo(2);
  }

  @AfterAll
  static void stop() throws Exception {
    if (mesh != null) {
      mesh.close();
    }
    if (dir != null) {
      try (var paths = Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  @Test
  void runOnAnImageProfileReadsTheImageAndCannotWriteIt() {
    RunResult r = mesh.run(request("it-imaged", "sh", "-c",
        "cat /data/hello.txt /etc/motd; echo x > /data/hello.txt 2>/dev/null || echo read-only; ls /usr/bin/sh"));
    assertThat(r.getStatus()).as(r.toString()).isEqualTo(RunStatus.RUN_STATUS_OK);
    assertThat(r.getStdout().toStringUtf8()).isEqualTo("hello from the image\nwelcome\nread-only\n/usr/bin/sh\n");
    assertThat(r.getExitCode()).isZero();
  }

  @Test
  void aSessionOnAnImageProfileSeesTheImage() {
    Sandbox sandbox = await(mesh.client.createSandbox(CreateSandboxRequest.newBuilder().setProfile("it-imaged").build()));
    try {
      RunResult r = await(mesh.client.exec(ExecStart.newBuilder().setSandboxId(sandbox.getId())
          .addArgv("cat").addArgv("/data/hello.txt").build()));
      assertThat(r.getStdout().toStringUtf8()).as(r.toString()).isEqualTo("hello from the image\n");
    } finally {
      await(mesh.client.destroySandbox(sandbox.getId()));
    }
  }

  @Test
  void aProfileWhoseImageIsMissingFailsWithNotFoundNamingIt() {
    PhantomException e = catchThrowableOfType(PhantomException.class, () -> mesh.run(request("it-ghost", "true")));
    assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND);
    assertThat(e.getMessage()).contains("image 'it-ghost:1' of profile it-ghost");
  }
}
