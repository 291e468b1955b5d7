package dev.phantom.orchestrator.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.orchestrator.PlacementEngine;
import dev.phantom.orchestrator.core.AdmissionController;
import dev.phantom.orchestrator.core.NodeTable;
import dev.phantom.orchestrator.core.PlacementScorer;
import dev.phantom.orchestrator.core.PoolSizer;
import dev.phantom.orchestrator.core.PowerOfTwoChoices;
import dev.phantom.orchestrator.core.PressureThresholds;
import dev.phantom.proto.orchestrator.v1.PlaceRequest;
import dev.phantom.proto.orchestrator.v1.Placement;
import dev.phantom.proto.orchestrator.v1.PlacementDone;
import dev.phantom.proto.orchestrator.v1.PlacementOutcome;
import dev.phantom.proto.zygote.v1.NodeReport;
import dev.phantom.proto.zygote.v1.Pressure;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Orchestrator instances on a real (local) event bus, fed node reports as zygote nodes would send them. */
class PlacementEndpointTest {

  private static final AdmissionController.Options ADMISSION = new AdmissionController.Options(
      Duration.ofMillis(200), 16, Duration.ofMillis(1_500), 64, 4, 4096, Duration.ofSeconds(2));

  /** More than a full node's 2 slots below: a full node must still make requests wait, not fail at once. */
  private static final int PRESSURED_PER_NODE = 3;

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  /** One orchestrator instance, deployed on its own event-loop context as the verticle would be. */
  private void orchestrator(String instanceId) throws Exception {
    vertx.deployVerticle(new io.vertx.core.VerticleBase() {
      @Override
      public Future<?> start() {
        InstantSource clock = InstantSource.system();
        NodeTable table = new NodeTable(Duration.ofSeconds(5),
            new PowerOfTwoChoices(new PlacementScorer(PressureThresholds.DEFAULTS), new SplittableRandom(3)));
        PlacementEngine engine = new PlacementEngine(table, ADMISSION, PRESSURED_PER_NODE, new PoolSizer(PoolSizer.Options.DEFAULTS, clock),
            Duration.ofSeconds(30), instanceId, new SimpleMeterRegistry(), clock);
        PlacementEndpoint endpoint = new PlacementEndpoint(vertx.eventBus(), table, engine, PressureThresholds.DEFAULTS,
            instanceId, clock);
        endpoint.register();
        vertx.setPeriodic(20, id -> engine.tick());
        return Future.succeededFuture();
      }
    }).toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private void report(String node, int running, int capacity, double cpuSome) throws Exception {
    BusRpc.publish(vertx.eventBus(), Addresses.ZYGOTE_REPORT, NodeReport.newBuilder().setNodeId(node)
        .setSpawnAddress(Addresses.zygoteSpawn(node)).setReady(true).setRuns(running).setMaxRuns(capacity)
        .setRunning(running).setCapacity(capacity + 32) // 32 session slots, which runs cannot use
        .setCpu(Pressure.newBuilder().setSomeAvg10(cpuSome)).setMemory(Pressure.getDefaultInstance())
        .setFreeMemoryBytes(8L << 30).build());
    Thread.sleep(50); // published: let every instance take it
  }

  private Placement place() throws Exception {
    return await(placeAsync());
  }

  private Future<Placement> placeAsync() {
    return BusRpc.request(vertx.eventBus(), Addresses.ORCHESTRATOR_PLACE,
        PlaceRequest.newBuilder().setProfile("minimal").setTimeoutMs(10_000).build(), Placement.parser(), 5_000);
  }

  private void done(Placement placement) {
    BusRpc.send(vertx.eventBus(), placement.getDoneAddress(), PlacementDone.newBuilder()
        .setPlacementId(placement.getPlacementId()).setOutcome(PlacementOutcome.PLACEMENT_OUTCOME_RAN)
        .setSpawnMicros(3_000).build());
  }

  @Test
  void placementFollowsPressure() throws Exception {
    orchestrator("o1");
    report("a", 0, 100, 0);
    report("b", 0, 100, 95);
    Map<String, Integer> share = new HashMap<>();
    for (int i = 0; i < 40; i++) {
      Placement p = place();
      share.merge(p.getNodeId(), 1, Integer::sum);
      done(p);
    }
    assertThat(share).containsOnlyKeys("a");

    report("a", 0, 100, 95);
    report("b", 0, 100, 0);
    share.clear();
    for (int i = 0; i < 40; i++) {
      share.merge(place().getNodeId(), 1, Integer::sum);
    }
    assertThat(share).containsOnlyKeys("b");
  }

  @Test
  void everyNodePressuredAdmitsATrickleThenShedsWithRetryAfter() throws Exception {
    orchestrator("o1");
    report("a", 0, 100, 95);
    for (int i = 0; i < PRESSURED_PER_NODE; i++) {
      assertThat(place().getNodeId()).isEqualTo("a"); // a trickle per node still goes, and is still running
    }
    long start = System.nanoTime();
    assertThatThrownBy(this::place).isInstanceOfSatisfying(ExecutionException.class, e ->
        assertThat(e.getCause()).isInstanceOfSatisfying(PhantomException.class, shed -> {
          assertThat(shed.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
          assertThat(shed.retryAfterMs()).isEqualTo(1_500);
          assertThat(shed.getMessage()).contains("every zygote node is full or over its pressure threshold");
        }));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
  }

  @Test
  void aFullNodeTakesTheWaitingRequestOnceASpawnIsDone() throws Exception {
    orchestrator("o1");
    report("a", 0, 2, 0);
    Placement first = place();
    place();
    Future<Placement> third = placeAsync(); // the node is full: it waits in the admission queue
    Thread.sleep(50);
    assertThat(third.isComplete()).isFalse();
    done(first);
    assertThat(await(third).getNodeId()).isEqualTo("a");

    // Two wait for one slot: the first gets it, the second keeps waiting (not failed for a full node).
    Future<Placement> fourth = placeAsync();
    Future<Placement> fifth = placeAsync();
    Thread.sleep(50);
    done(await(third));
    assertThat(await(fourth).getNodeId()).isEqualTo("a");
    assertThat(failure(fifth).getMessage()).contains("waited 200 ms");

    PhantomException shed = failure(placeAsync()); // full again, and nothing ends within the wait
    assertThat(shed.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
    assertThat(shed.getMessage()).contains("waited 200 ms");
  }

  @Test
  void anExcludedNodeIsNotChosenAndNoOtherIsUnavailable() throws Exception {
    orchestrator("o1");
    report("a", 0, 10, 0);
    PhantomException failure = failure(BusRpc.request(vertx.eventBus(), Addresses.ORCHESTRATOR_PLACE,
        PlaceRequest.newBuilder().setProfile("minimal").addExcludeNodes("a").build(), Placement.parser(), 5_000));
    assertThat(failure.status()).isEqualTo(GrpcStatus.UNAVAILABLE);
    assertThat(failure.getMessage()).isEqualTo("no zygote node other than a is running");
  }

  @Test
  void twoInstancesShareThePlacementsAndEachHearsItsOwnDone() throws Exception {
    orchestrator("o1");
    orchestrator("o2");
    report("a", 0, 4, 0);
    List<Placement> placements = new ArrayList<>();
    // Node a has room for 4 in each instance's count: a done sent to the wrong instance would leave the one
    // that placed it counting a full node, and the next placements there would be shed.
    for (int i = 0; i < 8; i++) {
      Placement p = place();
      placements.add(p);
      done(p);
    }
    assertThat(placements).extracting(Placement::getDoneAddress)
        .containsOnly(Addresses.orchestratorDone("o1"), Addresses.orchestratorDone("o2"))
        .contains(Addresses.orchestratorDone("o1"), Addresses.orchestratorDone("o2"));
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private static PhantomException failure(Future<?> future) throws Exception {
    try {
      await(future);
    } catch (ExecutionException e) {
      return (PhantomException) e.getCause();
    }
    throw new AssertionError("expected a failure");
  }
}
