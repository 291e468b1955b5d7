package dev.phantom.zygote.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.phantom.api.v1.RunEvent;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.proto.policy.v1.CompileProfileRequest;
import dev.phantom.proto.policy.v1.CompiledProfile;
import dev.phantom.proto.policy.v1.Limits;
import dev.phantom.proto.policy.v1.Mount;
import dev.phantom.proto.zygote.v1.CancelRun;
import dev.phantom.proto.zygote.v1.NodeReport;
import dev.phantom.proto.zygote.v1.SpawnRequest;
import dev.phantom.support.PhantomException;
import dev.phantom.support.ServiceContext;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.support.mesh.Membership;
import dev.phantom.support.testing.SandboxHost;
import dev.phantom.zygote.TestProfiles;
import dev.phantom.zygote.ZygoteVerticle;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import dev.phantom.proto.zygote.v1.GetPoolsRequest;
import dev.phantom.proto.zygote.v1.PoolSize;
import dev.phantom.proto.zygote.v1.PoolStates;
import dev.phantom.proto.zygote.v1.SetPoolSizesRequest;

/** The verticle on a plain Vertx, with a fake policy compiler on the event bus. */
class ZygoteVerticleTest {

  private Vertx vertx;
  private final AtomicInteger compiles = new AtomicInteger();
  private final List<String> arches = new CopyOnWriteArrayList<>();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  @BeforeEach
  void start() throws Exception {
    SandboxHost.assumeBubblewrap();
    vertx = Vertx.vertx();
    BusRpc.serve(vertx.eventBus(), Addresses.POLICY_COMPILE, CompileProfileRequest.parser(), request -> {
      compiles.incrementAndGet();
      arches.add(request.getArch());
      if (!request.getProfile().equals("minimal")) {
        return Future.failedFuture(PhantomException.notFound("no profile named '" + request.getProfile() + "'"));
      }
      return Future.succeededFuture(minimalProfile());
    });
  }

  /** Directories this class made (state, pressure files), removed after each test's Vert.x (and so its zygotes) closed. */
  private final java.util.List<java.nio.file.Path> madeStateDirs = new java.util.ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    if (vertx != null) {
      await(vertx.close());
    }
    madeStateDirs.forEach(dev.phantom.support.testing.TempDirs::deleteQuietly);
  }

  static CompiledProfile minimalProfile() {
    CompiledProfile.Builder p = CompiledProfile.newBuilder()
        .setName("minimal").setDigest("sha256:abc").setArch("x86_64")
        .setSeccompBpf(ByteString.copyFrom(TestProfiles.ALLOW_ALL))
        .putEnv("PATH", "/usr/bin:/bin").setHostname("sandbox").setCwd("/tmp").setUid(1000).setGid(1000)
        .setLimits(Limits.newBuilder().setDefaultTimeoutMs(10_000).setMaxTimeoutMs(60_000).setMaxOutputBytes(1 << 20));
    for (dev.phantom.zygote.core.Mount m : TestProfiles.MINIMAL_MOUNTS) {
      p.addMounts(switch (m) {
        case dev.phantom.zygote.core.Mount.ReadOnlyBind b ->
            Mount.newBuilder().setKind(Mount.Kind.KIND_RO_BIND).setSource(b.source()).setTarget(b.target()).setOptional(b.optional());
        case dev.phantom.zygote.core.Mount.Symlink s ->
            Mount.newBuilder().setKind(Mount.Kind.KIND_SYMLINK).setSource(s.linkTo()).setTarget(s.target());
        case dev.phantom.zygote.core.Mount.Proc x -> Mount.newBuilder().setKind(Mount.Kind.KIND_PROC).setTarget(x.target());
        case dev.phantom.zygote.core.Mount.Dev x -> Mount.newBuilder().setKind(Mount.Kind.KIND_DEV).setTarget(x.target());
        case dev.phantom.zygote.core.Mount.Tmpfs t ->
            Mount.newBuilder().setKind(Mount.Kind.KIND_TMPFS).setTarget(t.target()).setSizeBytes(t.sizeBytes());
        default -> throw new IllegalStateException("not used by the minimal profile: " + m);
      });
    }
    return p.build();
  }

  private void deploy(String nodeId, JsonObject config) throws Exception {
    if (!config.containsKey("stateDir")) {
      // Never the host's default: another zygote (a build running in parallel) may own it.
      java.nio.file.Path made = java.nio.file.Files.createTempDirectory("zygote-state-");
      madeStateDirs.add(made);
      config.put("stateDir", made.toString());
    }
    if (!config.containsKey("pools")) {
      config.put("pools", new io.vertx.core.json.JsonArray()); // the warm-pool test names its own
    }
    Membership self = new Membership() {
      @Override
      public String selfId() {
        return nodeId;
      }

      @Override
      public boolean clustered() {
        return false;
      }

      @Override
      public void onMemberLeft(Consumer<String> listener) {}
    };
    await(vertx.deployVerticle(new ZygoteVerticle(new ServiceContext(config, self, meters))));
  }

  private Future<RunResult> spawn(String nodeId, SpawnRequest request) {
    return BusRpc.request(vertx.eventBus(), Addresses.zygoteSpawn(nodeId), request, RunResult.parser(), 30_000);
  }

  static SpawnRequest request(String runId, String profile, String... argv) {
    return SpawnRequest.newBuilder().setRunId(runId).setProfile(profile).addAllArgv(List.of(argv)).build();
  }

  static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void spawnOverTheEventBus() throws Exception {
    deploy("node-a", new JsonObject());
    RunResult first = await(spawn("node-a", request("r1", "minimal", "sh", "-c", "echo hi; exit 3")));
    assertThat(first.getStatus()).isEqualTo(RunStatus.RUN_STATUS_OK);
    assertThat(first.getExitCode()).isEqualTo(3);
    assertThat(first.getStdout().toStringUtf8()).isEqualTo("hi\n");
    assertThat(first.getNodeId()).isEqualTo("node-a");
    assertThat(first.getPolicyDigest()).isEqualTo("sha256:abc");
    assertThat(first.getTimings().getSpawnMicros()).isPositive();
    assertThat(first.getTimings().getWallMicros()).isPositive();

    RunResult second = await(spawn("node-a", request("r2", "minimal", "true")));
    assertThat(second.getExitCode()).isZero();
    assertThat(compiles).as("compiled profiles are cached per name").hasValue(1);
    assertThat(arches).containsOnly(dev.phantom.support.HostArch.current());
    assertThat(meters.get("phantom.zygote.runs").tag("status", "ok").counter().count()).isEqualTo(2);
  }

  @Test
  void runsTakeWarmSlotsAndPoolsAreSizedOverTheBus() throws Exception {
    deploy("node-w", new JsonObject().put("pools", new io.vertx.core.json.JsonArray()
        .add(new JsonObject().put("profile", "minimal").put("size", 1))));
    waitForIdle("node-w", 1);
    RunResult warm = await(spawn("node-w", request("w1", "minimal", "sh", "-c", "echo warm; exit 5")));
    assertThat(warm.getWarm()).as(warm.toString()).isTrue();
    assertThat(warm.getExitCode()).isEqualTo(5);
    assertThat(warm.getStdout().toStringUtf8()).isEqualTo("warm\n");

    // Emptied over the bus: the next run is cold, and says so.
    PoolStates emptied = await(BusRpc.request(vertx.eventBus(), Addresses.zygotePoolsSet("node-w"),
        SetPoolSizesRequest.newBuilder().addSizes(PoolSize.newBuilder().setProfile("minimal").setSize(0)).build(),
        PoolStates.parser(), 30_000));
    assertThat(emptied.getPools(0).getTarget()).isZero();
    waitForIdle("node-w", 0);
    RunResult cold = await(spawn("node-w", request("w2", "minimal", "true")));
    assertThat(cold.getWarm()).isFalse();
    assertThat(cold.getExitCode()).isZero();

    // Above what memory allows: refused with the ceiling, and nothing changed.
    Throwable tooLarge = org.assertj.core.api.Assertions.catchThrowable(() -> await(BusRpc.request(vertx.eventBus(),
        Addresses.zygotePoolsSet("node-w"), SetPoolSizesRequest.newBuilder()
            .addSizes(PoolSize.newBuilder().setProfile("minimal").setSize(1))
            .addSizes(PoolSize.newBuilder().setProfile("minimal-huge").setSize(10_000_000)).build(),
        PoolStates.parser(), 30_000)));
    assertThat(tooLarge).hasRootCauseInstanceOf(PhantomException.class).rootCause().hasMessageContaining("at most");
    assertThat(((PhantomException) org.assertj.core.util.Throwables.getRootCause(tooLarge)).status())
        .isEqualTo(io.vertx.grpc.common.GrpcStatus.RESOURCE_EXHAUSTED);
    PoolStates after = await(BusRpc.request(vertx.eventBus(), Addresses.zygotePoolsGet("node-w"),
        GetPoolsRequest.getDefaultInstance(), PoolStates.parser(), 30_000));
    assertThat(after.getPoolsList()).extracting(p -> p.getProfile() + "=" + p.getTarget()).containsExactly("minimal=0");
  }

  @Test
  void memoryPressureInTheNodesPsiHalvesItsPoolsUntilItClears() throws Exception {
    String calm = "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
    java.nio.file.Path psi = java.nio.file.Files.createTempDirectory("zygote-psi-");
    madeStateDirs.add(psi);
    for (String resource : List.of("cpu", "memory", "io")) {
      java.nio.file.Files.writeString(psi.resolve(resource), calm);
    }
    deploy("node-p", new JsonObject().put("pressureDir", psi.toString()).put("reportIntervalMs", 100)
        .put("poolShrinkPressure", 10).put("pools", new io.vertx.core.json.JsonArray()
            .add(new JsonObject().put("profile", "minimal").put("size", 4))));
    waitForIdle("node-p", 4);
    // Above the threshold (some avg10 of memory, as the kernel writes it): half the slots go.
    java.nio.file.Files.writeString(psi.resolve("memory"),
        "some avg10=50.00 avg60=20.00 avg300=5.00 total=999999\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n");
    waitForIdle("node-p", 2);
    java.nio.file.Files.writeString(psi.resolve("memory"), calm);
    waitForIdle("node-p", 4);
  }

  private void waitForIdle(String nodeId, int idle) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      PoolStates states = await(BusRpc.request(vertx.eventBus(), Addresses.zygotePoolsGet(nodeId),
          GetPoolsRequest.getDefaultInstance(), PoolStates.parser(), 30_000));
      if (states.getPoolsList().stream().mapToInt(p -> p.getIdle()).sum() == idle) {
        return;
      }
      assertThat(System.nanoTime()).as("idle slots never reached " + idle + ": " + states).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  @Test
  void streamingSendsChunksThenTheExitEvent() throws Exception {
    deploy("node-a", new JsonObject());
    List<RunEvent> events = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> exitSeen = new CompletableFuture<>();
    String address = Addresses.runEvents("r-stream");
    await(BusRpc.listen(vertx.eventBus(), address, RunEvent.parser(), event -> {
      events.add(event);
      if (event.hasExit()) {
        exitSeen.complete(null);
      }
    }).completion());

    RunResult reply = await(spawn("node-a", request("r-stream", "minimal", "sh", "-c", "echo a; sleep 0.3; echo b >&2")
        .toBuilder().setStreamAddress(address).build()));
    exitSeen.get(10, TimeUnit.SECONDS);

    assertThat(reply.getStdout()).isEmpty();
    assertThat(events).hasSize(3);
    assertThat(events.get(0).getOutput().getData().toString(StandardCharsets.UTF_8)).isEqualTo("a\n");
    assertThat(events.get(1).getOutput().getData().toStringUtf8()).isEqualTo("b\n");
    assertThat(events.get(2).getExit()).isEqualTo(reply);
    assertThat(events.get(2).getExit().getStatus()).isEqualTo(RunStatus.RUN_STATUS_OK);
  }

  @Test
  void unknownProfilePassesNotFoundThrough() throws Exception {
    deploy("node-a", new JsonObject());
    assertThatThrownBy(() -> await(spawn("node-a", request("r3", "nope", "true"))))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(PhantomException.class, e -> {
          assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND);
          assertThat(e.getMessage()).isEqualTo("no profile named 'nope'");
        });
  }

  @Test
  void nodeReportsArePublishedPeriodically() throws Exception {
    List<NodeReport> reports = new CopyOnWriteArrayList<>();
    await(BusRpc.listen(vertx.eventBus(), Addresses.ZYGOTE_REPORT, NodeReport.parser(), reports::add).completion());
    deploy("node-a", new JsonObject().put("reportIntervalMs", 50).put("maxConcurrent", 7).put("maxSessions", 3));
    Thread.sleep(300);
    assertThat(reports.size()).isGreaterThanOrEqualTo(3);
    NodeReport report = reports.getFirst();
    assertThat(report.getNodeId()).isEqualTo("node-a");
    assertThat(report.getSpawnAddress()).isEqualTo(Addresses.zygoteSpawn("node-a"));
    assertThat(report.getReady()).isTrue();
    // Sessions are sandboxes too: they count as running, and the capacity holds them as well.
    assertThat(report.getCapacity()).isEqualTo(7 + 3);
    assertThat(report.getArch()).isEqualTo("x86_64");
  }

  @Test
  void beyondCapacityIsRefusedAndCancelKills() throws Exception {
    deploy("node-b", new JsonObject().put("maxConcurrent", 1));
    Future<RunResult> longRun = spawn("node-b", request("long", "minimal", "sleep", "30"));
    Thread.sleep(300);
    assertThatThrownBy(() -> await(spawn("node-b", request("other", "minimal", "true"))))
        .cause()
        .isInstanceOfSatisfying(PhantomException.class,
            e -> assertThat(e.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED));
    BusRpc.send(vertx.eventBus(), Addresses.zygoteCancel("node-b"), CancelRun.newBuilder().setRunId("long").build());
    RunResult killed = await(longRun);
    assertThat(killed.getStatus()).isEqualTo(RunStatus.RUN_STATUS_KILLED);
    assertThat(killed.getSignal()).isEqualTo(9);
    RunResult after = await(spawn("node-b", request("after", "minimal", "true")));
    assertThat(after.getStatus()).isEqualTo(RunStatus.RUN_STATUS_OK);
  }

  @Test
  void missingBubblewrapMakesTheNodeNotReady() throws Exception {
    List<NodeReport> reports = new CopyOnWriteArrayList<>();
    await(BusRpc.listen(vertx.eventBus(), Addresses.ZYGOTE_REPORT, NodeReport.parser(), reports::add).completion());
    deploy("node-c", new JsonObject().put("bwrapPath", "/nonexistent/bwrap"));
    assertThatThrownBy(() -> await(spawn("node-c", request("r", "minimal", "true"))))
        .cause()
        .isInstanceOfSatisfying(PhantomException.class, e -> {
          assertThat(e.status()).isEqualTo(GrpcStatus.FAILED_PRECONDITION);
          assertThat(e.getMessage()).contains("bubblewrap is not installed on node node-c", "apt-get install -y bubblewrap");
        });
    Thread.sleep(100);
    assertThat(reports).isNotEmpty().allSatisfy(r -> {
      assertThat(r.getReady()).isFalse();
      assertThat(r.getDetail()).contains("bubblewrap is not installed");
    });
  }

  @Test
  void invalidConfigListsEveryProblem() {
    assertThatThrownBy(() -> deploy("node-d", new JsonObject().put("maxConcurrent", 0).put("sandboxUid", 0).put("typo", 1)))
        .hasMessageContaining("maxConcurrent must be in")
        .hasMessageContaining("sandboxUid must be in")
        .hasMessageContaining("unknown key 'typo'");
  }

  @Test
  void stoppingKillsRunningSandboxes() throws Exception {
    deploy("node-e", new JsonObject());
    String marker = "stop-marker-" + System.nanoTime();
    spawn("node-e", request("long-e", "minimal", "sh", "-c", "sleep 30; echo " + marker));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (processesWith(marker) == 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(processesWith(marker)).as("the sandbox is running").isPositive();

    long before = System.nanoTime();
    await(vertx.close());
    vertx = null;

    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before)).isLessThan(5000);
    // The run's reply may never come (the bus closed with the node); what matters is that nothing is left.
    assertThat(processesWith(marker)).as("processes of the sandbox after stop").isZero();
  }

  /** Host processes whose command line holds {@code marker}. */
  private static long processesWith(String marker) throws java.io.IOException {
    try (var procs = java.nio.file.Files.list(java.nio.file.Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
          .filter(p -> {
            try {
              return new String(java.nio.file.Files.readAllBytes(p.resolve("cmdline"))).contains(marker);
            } catch (java.io.IOException e) {
              return false;
            }
          })
          .count();
    }
  }
}
