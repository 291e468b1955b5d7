package dev.phantom.zygote.image;

import static dev.phantom.zygote.image.StoreFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.proto.policy.v1.CompileProfileRequest;
import dev.phantom.proto.policy.v1.CompiledProfile;
import dev.phantom.proto.policy.v1.Limits;
import dev.phantom.proto.policy.v1.Mount;
import dev.phantom.proto.zygote.v1.GetPoolsRequest;
import dev.phantom.proto.zygote.v1.PoolStates;
import dev.phantom.proto.zygote.v1.SpawnRequest;
import dev.phantom.support.PhantomException;
import dev.phantom.support.ServiceContext;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.support.mesh.Membership;
import dev.phantom.support.testing.SandboxHost;
import dev.phantom.zygote.TestProfiles;
import dev.phantom.zygote.ZygoteVerticle;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real sandboxes whose root is an image: a real store in this JVM, a zygote verticle beside it, and a fake
 * policy compiler answering profiles that name images (no host path is bound).
 */
class ImageSandboxTest {

  @TempDir
  Path dir;
  StoreFixture store;
  String deployment;
  final Map<String, CompiledProfile> profiles = new ConcurrentHashMap<>();

  @BeforeEach
  void start() throws Exception {
    SandboxHost.assumeBubblewrap();
    // Bubblewrap runs as the sandbox user and must reach the trees under the state dir.
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
    store = new StoreFixture(dir);
    BusRpc.serve(store.vertx().eventBus(), Addresses.POLICY_COMPILE, CompileProfileRequest.parser(), request -> {
      CompiledProfile p = profiles.get(request.getProfile());
      return p != null ? Future.succeededFuture(p)
          : Future.failedFuture(PhantomException.notFound("no profile named '" + request.getProfile() + "'"));
    });
  }

  @AfterEach
  void stop() {
    if (deployment != null) {
      await(store.vertx().undeploy(deployment));
    }
    if (store != null) {
      store.close();
    }
  }

  /** Proc, dev and a /tmp: everything else comes from the image. */
  static CompiledProfile imageProfile(String name, String image) {
    return CompiledProfile.newBuilder().setName(name).setDigest("sha256:" + name).setArch("x86_64")
        .setSeccompBpf(ByteString.copyFrom(TestProfiles.ALLOW_ALL)).setImage(image)
        .putEnv("PATH", "/usr/bin:/bin").setHostname("sandbox").setCwd("/tmp").setUid(1000).setGid(1000)
        .addMounts(Mount.newBuilder().setKind(Mount.Kind.KIND_PROC).setTarget("/proc"))
        .addMounts(Mount.newBuilder().setKind(Mount.Kind.KIND_DEV).setTarget("/dev"))
        .addMounts(Mount.newBuilder().setKind(Mount.Kind.KIND_TMPFS).setTarget("/tmp").setSizeBytes(1 << 20))
        .setLimits(Limits.newBuilder().setDefaultTimeoutMs(10_000).setMaxTimeoutMs(60_000).setMaxOutputBytes(1 << 20))
        .build();
  }

  /** The zygote role beside the store, on the embedded node's own membership; returns the node id. */
  String deploy(JsonArray pools) throws Exception {
    return deploy(new JsonObject().put("pools", pools));
  }

  String deploy(JsonObject config) throws Exception {
    config.put("stateDir", dir.resolve("state").toString());
    Membership self = store.node.mesh().membership();
    deployment = await(store.vertx().deployVerticle(new ZygoteVerticle(new ServiceContext(config, self, store.meters))));
    return self.selfId();
  }

  RunResult run(String nodeId, String runId, String profile, String... argv) {
    return await(BusRpc.request(store.vertx().eventBus(), Addresses.zygoteSpawn(nodeId), SpawnRequest.newBuilder()
        .setRunId(runId).setProfile(profile).addAllArgv(List.of(argv)).build(), RunResult.parser(), 60_000));
  }

  static final String READ_AND_TRY_TO_WRITE = "cat /data/hello.txt; cat /etc/os-release; ls /;"
      + " touch /data/new 2>/dev/null && echo WROTE; echo x 2>/dev/null > /data/hello.txt && echo OVERWROTE;"
      + " touch /newfile 2>/dev/null && echo ROOT-WRITABLE; echo ok > /tmp/t && cat /tmp/t";

  @Test
  void aColdRunSeesTheImageAsItsRootReadOnly() throws Exception {
    String manifest = store.importDir(SmallRoot.build(store.source("root")), "tiny-root:1");
    profiles.put("imaged", imageProfile("imaged", "tiny-root:1"));
    profiles.put("by-digest", imageProfile("by-digest", manifest));
    String node = deploy(new JsonArray());

    RunResult r = run(node, "r1", "imaged", "sh", "-c", READ_AND_TRY_TO_WRITE);
    assertThat(r.getStatus()).as(r.toString()).isEqualTo(RunStatus.RUN_STATUS_OK);
    String out = r.getStdout().toStringUtf8();
    assertThat(out).startsWith(SmallRoot.HELLO + "ID=phantom-test\n").contains("data\n", "usr\n", "proc\n")
        .doesNotContain("WROTE", "OVERWROTE", "ROOT-WRITABLE").endsWith("ok\n");
    assertThat(r.getExitCode()).isZero();
    // The host's file is untouched, and the same tree serves a profile naming the digest itself.
    Path tree = dir.resolve("state/images/trees").resolve(manifest);
    assertThat(Files.readString(tree.resolve("data/hello.txt"))).isEqualTo(SmallRoot.HELLO);
    // Nothing of the host: the image's top level and the profile's mounts, no more.
    RunResult root = run(node, "r-ls", "imaged", "ls", "-A", "/");
    assertThat(root.getStdout().toStringUtf8().lines().toList())
        .containsExactly("bin", "data", "dev", "etc", "lib", "lib64", "proc", "sbin", "tmp", "usr");
    RunResult byDigest = run(node, "r2", "by-digest", "cat", "/data/hello.txt");
    assertThat(byDigest.getStdout().toStringUtf8()).isEqualTo(SmallRoot.HELLO);
    assertThat(store.meters.get("phantom.zygote.image.trees.materialized").functionCounter().count()).isEqualTo(1);
  }

  @Test
  void warmSlotsOfAnImageProfileRunInTheImage() throws Exception {
    store.importDir(SmallRoot.build(store.source("root")), "tiny-root:1");
    profiles.put("imaged", imageProfile("imaged", "tiny-root:1"));
    String node = deploy(new JsonArray().add(new JsonObject().put("profile", "imaged").put("size", 1)));
    awaitIdleSlot(node);
    RunResult r = run(node, "w1", "imaged", "sh", "-c", READ_AND_TRY_TO_WRITE);
    assertThat(r.getWarm()).as(r.toString()).isTrue();
    assertThat(r.getStdout().toStringUtf8()).startsWith(SmallRoot.HELLO).doesNotContain("WROTE", "ROOT-WRITABLE")
        .endsWith("ok\n");
  }

  @Test
  void whenTheTagMovesRunsSeeTheNewImageAndOlderWarmSlotsAreDiscarded() throws Exception {
    Path v1 = SmallRoot.build(store.source("v1"));
    store.importDir(v1, "tiny-root:1");
    profiles.put("imaged", imageProfile("imaged", "tiny-root:1"));
    String node = deploy(new JsonObject().put("profileCacheMs", 100)
        .put("pools", new JsonArray().add(new JsonObject().put("profile", "imaged").put("size", 1))));
    awaitIdleSlot(node);
    Path v2 = SmallRoot.build(store.source("v2"));
    Files.writeString(v2.resolve("data/hello.txt"), "version two\n");
    store.importDir(v2, "tiny-root:1");
    Thread.sleep(300); // past profileCacheMs: the tag is resolved again
    RunResult r = run(node, "moved", "imaged", "cat", "/data/hello.txt");
    assertThat(r.getStdout().toStringUtf8()).as(r.toString()).isEqualTo("version two\n");
  }

  void awaitIdleSlot(String node) throws Exception {
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (await(BusRpc.request(store.vertx().eventBus(), Addresses.zygotePoolsGet(node),
        GetPoolsRequest.getDefaultInstance(), PoolStates.parser(), 30_000)).getPools(0).getIdle() < 1) {
      assertThat(System.nanoTime()).as("the warm slot never came up").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  @Test
  void anImageTheStoreLacksFailsTheRunNamingIt() throws Exception {
    profiles.put("ghost", imageProfile("ghost", "no-such-image:1"));
    profiles.put("ghost-digest", imageProfile("ghost-digest", "ab".repeat(32)));
    String node = deploy(new JsonArray());
    PhantomException tag = catchThrowableOfType(PhantomException.class, () -> run(node, "g1", "ghost", "true"));
    assertThat(tag.status()).isEqualTo(GrpcStatus.NOT_FOUND);
    assertThat(tag.getMessage()).contains("image 'no-such-image:1' of profile ghost");
    PhantomException digest = catchThrowableOfType(PhantomException.class, () -> run(node, "g2", "ghost-digest", "true"));
    assertThat(digest.status()).isEqualTo(GrpcStatus.NOT_FOUND);
    assertThat(digest.getMessage()).contains("image '" + "ab".repeat(32) + "' of profile ghost-digest");
  }

  @Test
  void aSpawnWhoseImageTakesLongToPrepareIsRefusedAsRetryableAndTheBuildCarriesOn() throws Exception {
    store.importDir(SmallRoot.build(store.source("root")), "tiny-root:1");
    profiles.put("imaged", imageProfile("imaged", "tiny-root:1"));
    // A slow store: every chunk fetch waits 1.5 s (a large image's first fetch, without its bytes).
    store.vertx().eventBus().addInboundInterceptor(delivery -> {
      if (delivery.message().address().equals(Addresses.STORE_CHUNKS_GET)) {
        store.vertx().setTimer(1_500, id -> delivery.next());
      } else {
        delivery.next();
      }
    });
    String node = deploy(new JsonObject().put("pools", new JsonArray()).put("imagePrepareWaitMs", 200));

    PhantomException refused = catchThrowableOfType(PhantomException.class, () -> run(node, "p1", "imaged", "cat", "/data/hello.txt"));
    assertThat(refused.status()).isEqualTo(GrpcStatus.UNAVAILABLE);
    assertThat(refused.getMessage()).contains("image 'tiny-root:1' of profile imaged", ImageProfiles.PREPARING + " " + node,
        "nothing ran");
    // The build went on without the spawn: the same run, sent again once the tree is in place, runs.
    var built = store.meters.get("phantom.zygote.image.trees.materialized").functionCounter();
    for (int i = 0; i < 300 && built.count() < 1; i++) {
      Thread.sleep(50);
    }
    assertThat(built.count()).isEqualTo(1);
    RunResult r = run(node, "p1", "imaged", "cat", "/data/hello.txt");
    assertThat(r.getStatus()).as(r.toString()).isEqualTo(RunStatus.RUN_STATUS_OK);
    assertThat(r.getStdout().toStringUtf8()).isEqualTo(SmallRoot.HELLO);
  }
}
