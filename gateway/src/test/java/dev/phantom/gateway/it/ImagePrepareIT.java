package dev.phantom.gateway.it;

import static dev.phantom.gateway.it.EmbeddedMesh.await;
import static dev.phantom.gateway.it.EmbeddedMesh.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.proto.store.v1.ImportCall;
import dev.phantom.proto.store.v1.ImportHeader;
import dev.phantom.proto.store.v1.ImportReply;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The first run of an image that takes longer to prepare than the node waits for it (a slow store: each
 * chunk fetch held 1.5 s, the node waiting 200 ms) succeeds through gRPC: the node refuses the spawn as
 * "being prepared", the gateway sends it again, and the run runs once the tree is in place.
 */
class ImagePrepareIT {

  private static EmbeddedMesh mesh;
  private static Path dir;

  @BeforeAll
  static void start() throws Exception {
    SandboxHost.assumeBubblewrap();
    dir = Files.createTempDirectory("phantom-image-prepare-it");
    Path profiles = Files.createDirectories(dir.resolve("profiles"));
    Files.writeString(profiles.resolve("it-slow.yaml"), "name: it-slow\nextends: minimal\nimage: it-slow:1\n");
    Path image = Files.createDirectories(dir.resolve("src/image/data"));
    Files.writeString(image.resolve("hello.txt"), "hello from a slow image\n");
    mesh = EmbeddedMesh.start(new JsonObject()
        .put("policy", new JsonObject().put("profileDirs", new JsonArray().add(profiles.toString())))
        .put("zygote", new JsonObject().put("imagePrepareWaitMs", 200))
        .put("store", new JsonObject().put("dataDir", dir.resolve("store").toString())
            .put("importRoots", new JsonArray().add(dir.resolve("src").toString()))));
    Vertx vertx = mesh.node.mesh().vertx();
    await(BusRpc.request(vertx.eventBus(), Addresses.STORE_IMPORT,
        ImportCall.newBuilder().setUploadId("it-slow").setBegin(ImportHeader.newBuilder().setName("it-slow:1")
            .setHostPath(dir.resolve("src/image").toString())).build(), ImportReply.parser(), 60_000));
    vertx.eventBus().addInboundInterceptor(delivery -> {
      if (delivery.message().address().equals(Addresses.STORE_CHUNKS_GET)) {
        vertx.setTimer(1_500, id -> delivery.next());
      } else {
        delivery.next();
      }
    });
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
  void theFirstRunOfASlowImageWaitsForItInsteadOfFailing() {
    RunResult r = mesh.run(request("it-slow", "cat", "/data/hello.txt"));
    assertThat(r.getStatus()).as(r.toString()).isEqualTo(RunStatus.RUN_STATUS_OK);
    assertThat(r.getStdout().toStringUtf8()).isEqualTo("hello from a slow image\n");
    assertThat(mesh.node.mesh().meters().get("phantom.runs.image.waits").counter().count()).isPositive();
  }
}
