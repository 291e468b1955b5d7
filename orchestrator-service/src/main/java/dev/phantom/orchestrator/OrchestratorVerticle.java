package dev.phantom.orchestrator;

import dev.phantom.orchestrator.bus.PlacementEndpoint;
import dev.phantom.orchestrator.core.NodeTable;
import dev.phantom.support.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.InstantSource;

/** Wiring only: config, the node table, the event-bus endpoint and its timers. */
public final class OrchestratorVerticle extends VerticleBase {

  private final ServiceContext context;

  public OrchestratorVerticle(ServiceContext context) {
    this.context = context;
  }

  @Override
  public Future<?> start() {
    OrchestratorConfig config = OrchestratorConfig.from(context.config());
    PlacementEndpoint endpoint = new PlacementEndpoint(
        vertx.eventBus(), new NodeTable(config.staleAfter()), InstantSource.system());
    endpoint.register();
    vertx.setPeriodic(config.sweepInterval().toMillis(), id -> endpoint.sweep());
    // Membership callbacks arrive on a Hazelcast thread; hop onto this verticle's event loop.
    this.context.membership().onMemberLeft(member -> super.context.runOnContext(v -> endpoint.memberLeft(member)));
    return Future.succeededFuture();
  }
}
