package dev.phantom.orchestrator;

import dev.phantom.orchestrator.bus.PlacementEndpoint;
import dev.phantom.orchestrator.core.NodeTable;
import dev.phantom.orchestrator.core.PlacementScorer;
import dev.phantom.orchestrator.core.PoolSizer;
import dev.phantom.orchestrator.core.PowerOfTwoChoices;
import dev.phantom.support.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.InstantSource;
import java.util.SplittableRandom;

/** Wiring only: config, the node table, placement and pool sizing, the event-bus endpoint and its timers. */
public final class OrchestratorVerticle extends VerticleBase {

  /** How often waiting placements are looked at: well under the admission queue's wait (250 ms). */
  private static final long TICK_MS = 20;

  private final ServiceContext context;

  public OrchestratorVerticle(ServiceContext context) {
    this.context = context;
  }

  @Override
  public Future<?> start() {
    OrchestratorConfig config;
    try {
      config = OrchestratorConfig.from(context.config());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    InstantSource clock = InstantSource.system();
    NodeTable table = new NodeTable(config.staleAfter(),
        new PowerOfTwoChoices(new PlacementScorer(config.thresholds()), new SplittableRandom()));
    PoolSizer sizer = new PoolSizer(PoolSizer.Options.DEFAULTS, clock);
    PlacementEngine engine = new PlacementEngine(table, config.admission(), config.pressuredPerNode(), sizer, config.placementGrace(),
        context.nodeId(), context.meters(), clock);
    PlacementEndpoint endpoint = new PlacementEndpoint(vertx.eventBus(), table, engine, config.thresholds(),
        context.nodeId(), clock);
    endpoint.register();
    vertx.setPeriodic(config.sweepInterval().toMillis(), id -> endpoint.sweep());
    vertx.setPeriodic(TICK_MS, id -> engine.tick());
    if (!config.poolSizingInterval().isZero()) {
      PoolSizing sizing = new PoolSizing(vertx.eventBus(), sizer);
      vertx.setPeriodic(config.poolSizingInterval().toMillis(), id -> sizing.run(table.nodes()));
    }
    // Membership callbacks arrive on a Hazelcast thread; hop onto this verticle's event loop.
    this.context.membership().onMemberLeft(member -> super.context.runOnContext(v -> endpoint.memberLeft(member)));
    return Future.succeededFuture();
  }
}
