package dev.phantom.orchestrator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.orchestrator.core.NodePressure;
import dev.phantom.orchestrator.core.NodeTable;
import dev.phantom.orchestrator.core.PlacementScorer;
import dev.phantom.orchestrator.core.PoolSizer;
import dev.phantom.orchestrator.core.PowerOfTwoChoices;
import dev.phantom.orchestrator.core.PressureThresholds;
import dev.phantom.orchestrator.core.Psi;
import dev.phantom.orchestrator.core.SpawnLatency;
import dev.phantom.proto.zygote.v1.GetPoolsRequest;
import dev.phantom.proto.zygote.v1.PoolState;
import dev.phantom.proto.zygote.v1.PoolStates;
import dev.phantom.proto.zygote.v1.SetPoolSizesRequest;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Pool sizes sent to a zygote node that answers on the bus as a real one would (its pools as configured). */
class PoolSizingTest {

  private final Vertx vertx = Vertx.vertx();
  private final List<SetPoolSizesRequest> sent = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private static PoolStates pools(int minimal, int python) {
    return PoolStates.newBuilder().setNodeId("a")
        .addPools(PoolState.newBuilder().setProfile("minimal").setTarget(minimal).setSlotBytes(1 << 20))
        .addPools(PoolState.newBuilder().setProfile("python-dev").setTarget(python).setSlotBytes(9 << 20))
        .build();
  }

  @Test
  void trafficRaisesAPoolAboveItsConfiguredSizeAndNoOtherPoolIsTouchedOrMade() throws Exception {
    BusRpc.serve(vertx.eventBus(), Addresses.zygotePoolsGet("a"), GetPoolsRequest.parser(),
        request -> Future.succeededFuture(pools(2, 2)));
    BusRpc.serve(vertx.eventBus(), Addresses.zygotePoolsSet("a"), SetPoolSizesRequest.parser(), request -> {
      sent.add(request);
      return Future.succeededFuture(pools(request.getSizes(0).getSize(), 2));
    });
    InstantSource clock = InstantSource.fixed(Instant.parse("2026-01-01T00:00:00Z"));
    PoolSizer sizer = new PoolSizer(PoolSizer.Options.DEFAULTS, clock);
    NodeTable table = new NodeTable(Duration.ofSeconds(5),
        new PowerOfTwoChoices(new PlacementScorer(PressureThresholds.DEFAULTS), new SplittableRandom(1)));
    table.report(new NodePressure("a", true, Psi.NONE, Psi.NONE, Psi.NONE, 8L << 30, 0, 10,
        Map.of("minimal", 2, "python-dev", 2), new SpawnLatency(Duration.ofMillis(200), Duration.ofSeconds(1))),
        Addresses.zygoteSpawn("a"), "", clock.instant());
    PoolSizing sizing = new PoolSizing(vertx.eventBus(), sizer);

    vertx.runOnContext(v -> sizing.run(table.nodes())); // learns the configured pools
    Thread.sleep(200);
    assertThat(sent).isEmpty();
    for (int i = 0; i < 100; i++) {
      sizer.observe("a", "minimal"); // 100 at once: an EWMA of 100/30 s = 3.3 a second
      sizer.observe("a", "strict"); // as busy, but the node keeps no pool of it: none is made
    }
    vertx.runOnContext(v -> sizing.run(table.nodes()));
    Thread.sleep(200);
    vertx.runOnContext(v -> sizing.run(table.nodes())); // nothing changed: nothing sent again
    Thread.sleep(200);

    // 3.3/s x 1 s refill (spawn p99) x headroom 2 = 7 slots; python-dev keeps its configured 2 unsent.
    assertThat(sent).singleElement().satisfies(request -> {
      assertThat(request.getSizesList()).singleElement().satisfies(size -> {
        assertThat(size.getProfile()).isEqualTo("minimal");
        assertThat(size.getSize()).isEqualTo(7);
      });
    });
  }
}
