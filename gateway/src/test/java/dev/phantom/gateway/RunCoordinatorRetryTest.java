package dev.phantom.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.proto.orchestrator.v1.NodeLost;
import dev.phantom.proto.orchestrator.v1.PlaceRequest;
import dev.phantom.proto.orchestrator.v1.Placement;
import dev.phantom.proto.orchestrator.v1.PlacementDone;
import dev.phantom.proto.orchestrator.v1.PlacementOutcome;
import dev.phantom.proto.policy.v1.CompileProfileRequest;
import dev.phantom.proto.policy.v1.CompiledProfile;
import dev.phantom.proto.policy.v1.Limits;
import dev.phantom.proto.zygote.v1.SpawnRequest;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.support.bus.ImagePreparing;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's run path against a fake orchestrator and fake zygote nodes on a local event bus: which
 * failures send a run to another node, and which never do.
 */
class RunCoordinatorRetryTest {

  private final Vertx vertx = Vertx.vertx();
  private final List<PlaceRequest> placements = new CopyOnWriteArrayList<>();
  private final List<String> spawnsOn = new CopyOnWriteArrayList<>();
  private final List<PlacementDone> done = new CopyOnWriteArrayList<>();
  private RunCoordinator runs;

  @BeforeEach
  void setUp() throws Exception {
    CompiledProfile profile = CompiledProfile.newBuilder().setName("minimal").setLimits(Limits.newBuilder()
        .setDefaultTimeoutMs(5_000).setMaxTimeoutMs(10_000).setDefaultMemoryBytes(64 << 20).setMaxMemoryBytes(128 << 20)
        .setDefaultPids(32).setMaxPids(64).setDefaultCpuMillicores(1000).setMaxCpuMillicores(2000)).build();
    BusRpc.serve(vertx.eventBus(), Addresses.POLICY_COMPILE, CompileProfileRequest.parser(),
        request -> Future.succeededFuture(profile));
    // The orchestrator places on "gone" first (a node that left after its last report), then on whatever is not excluded.
    BusRpc.serve(vertx.eventBus(), Addresses.ORCHESTRATOR_PLACE, PlaceRequest.parser(), request -> {
      placements.add(request);
      String node = request.getExcludeNodesList().contains("gone") ? "b" : "gone";
      return Future.succeededFuture(Placement.newBuilder().setNodeId(node).setSpawnAddress(Addresses.zygoteSpawn(node))
          .setPlacementId("p" + placements.size()).setDoneAddress(Addresses.orchestratorDone("o1")).build());
    });
    BusRpc.listen(vertx.eventBus(), Addresses.orchestratorDone("o1"), PlacementDone.parser(), done::add);
    BusRpc.serve(vertx.eventBus(), Addresses.zygoteSpawn("b"), SpawnRequest.parser(), spawn -> {
      spawnsOn.add("b");
      return Future.succeededFuture(RunResult.newBuilder().setStatus(RunStatus.RUN_STATUS_OK).setNodeId("b").build());
    });
    Promise<Void> ready = Promise.promise();
    vertx.runOnContext(v -> {
      runs = new RunCoordinator(vertx, GatewayConfig.from(new JsonObject()), new RunMetrics(new SimpleMeterRegistry()));
      runs.register();
      ready.complete();
    });
    ready.future().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private Future<RunResult> run() {
    Promise<RunResult> result = Promise.promise();
    vertx.runOnContext(v -> runs.run(RunRequest.newBuilder().setProfile("minimal").addArgv("true").build(),
        Promise.<Void>promise().future()).onComplete(result));
    return result.future();
  }

  @Test
  void aSpawnThatNeverReachedItsNodeRunsOnceOnAnother() throws Exception {
    RunResult result = run().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);

    assertThat(result.getNodeId()).isEqualTo("b");
    assertThat(placements).extracting(p -> List.copyOf(p.getExcludeNodesList())).containsExactly(List.of(), List.of("gone"));
    assertThat(placements.get(0).getTimeoutMs()).isEqualTo(5_000);
    assertThat(placements.get(0).getMemoryBytes()).isEqualTo(64 << 20);
    assertThat(spawnsOn).containsExactly("b");
    Thread.sleep(100);
    assertThat(done).extracting(PlacementDone::getPlacementId, PlacementDone::getOutcome).containsExactlyInAnyOrder(
        org.assertj.core.groups.Tuple.tuple("p1", PlacementOutcome.PLACEMENT_OUTCOME_FAILED),
        org.assertj.core.groups.Tuple.tuple("p2", PlacementOutcome.PLACEMENT_OUTCOME_RAN));
  }

  @Test
  void aSpawnThatReachedANodeLostLaterIsNeverSentAgain() throws Exception {
    // "gone" takes the spawn this time, and dies with it before answering.
    BusRpc.serve(vertx.eventBus(), Addresses.zygoteSpawn("gone"), SpawnRequest.parser(), spawn -> {
      spawnsOn.add("gone");
      vertx.setTimer(100, t -> BusRpc.publish(vertx.eventBus(), Addresses.ORCHESTRATOR_NODE_LOST,
          NodeLost.newBuilder().setNodeId("gone").setReason("left the cluster").build()));
      return Promise.<RunResult>promise().future();
    });

    try {
      run().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      throw new AssertionError("the run's node was lost: it must fail");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOfSatisfying(PhantomException.class, failure -> {
        assertThat(failure.status()).isEqualTo(GrpcStatus.UNAVAILABLE);
        assertThat(failure.getMessage()).contains("zygote node gone was lost").contains("outcome is unknown");
      });
    }
    assertThat(spawnsOn).containsExactly("gone");
    assertThat(placements).hasSize(1);
  }

  @Test
  void aSpawnRefusedWhileItsNodePreparesTheImageIsSentAgainUntilItRuns() throws Exception {
    // "gone" is alive this time, and refuses twice while it materializes the profile's image.
    BusRpc.serve(vertx.eventBus(), Addresses.zygoteSpawn("gone"), SpawnRequest.parser(), spawn -> {
      spawnsOn.add("gone");
      return spawnsOn.size() <= 2
          ? Future.failedFuture(PhantomException.unavailable("image 'big:1' of profile minimal: "
              + ImagePreparing.MARK + " gone (its first use here); nothing ran, send the run again"))
          : Future.succeededFuture(RunResult.newBuilder().setStatus(RunStatus.RUN_STATUS_OK).setNodeId("gone").build());
    });

    RunResult result = run().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);

    assertThat(result.getNodeId()).isEqualTo("gone");
    assertThat(spawnsOn).containsExactly("gone", "gone", "gone");
    assertThat(placements).hasSize(3);
  }

  @Test
  void anyOtherUnavailableReplyIsNotSentAgain() throws Exception {
    BusRpc.serve(vertx.eventBus(), Addresses.zygoteSpawn("gone"), SpawnRequest.parser(), spawn -> {
      spawnsOn.add("gone");
      return Future.failedFuture(PhantomException.unavailable("node gone is draining"));
    });

    ExecutionException e = org.assertj.core.api.Assertions.catchThrowableOfType(ExecutionException.class,
        () -> run().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS));
    assertThat(e.getCause()).isInstanceOf(PhantomException.class).hasMessageContaining("draining");
    assertThat(spawnsOn).containsExactly("gone");
  }
}
