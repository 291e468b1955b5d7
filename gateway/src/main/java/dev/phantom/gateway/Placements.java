package dev.phantom.gateway;

import dev.phantom.proto.orchestrator.v1.Placement;
import dev.phantom.proto.orchestrator.v1.PlacementDone;
import dev.phantom.proto.orchestrator.v1.PlacementOutcome;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.BusRpc;
import io.vertx.core.eventbus.EventBus;
import io.vertx.grpc.common.GrpcStatus;

/**
 * Tells the orchestrator instance that placed a sandbox that its node has answered, which frees the
 * instance's admission permit and its count of the node's sandboxes. Without it the permit would be held
 * until the run's timeout plus a grace, and a busy cluster would shed work it could take.
 */
public final class Placements {

  private Placements() {}

  /**
   * @param spawnMicros the node's figure for starting the sandbox when it ran one, else 0
   * @param failure why the node did not run it, or null when it did
   */
  public static void done(EventBus bus, Placement placement, long spawnMicros, Throwable failure) {
    if (placement.getDoneAddress().isEmpty()) {
      return; // an orchestrator from before PlacementDone
    }
    BusRpc.send(bus, placement.getDoneAddress(), PlacementDone.newBuilder().setPlacementId(placement.getPlacementId())
        .setOutcome(outcome(failure)).setSpawnMicros(Math.max(0, spawnMicros)).build());
  }

  /** A refusal for room or a node that did not answer in time is an overload signal; other failures are not. */
  static PlacementOutcome outcome(Throwable failure) {
    if (failure == null) {
      return PlacementOutcome.PLACEMENT_OUTCOME_RAN;
    }
    boolean overloaded = failure instanceof PhantomException p && (p.status() == GrpcStatus.RESOURCE_EXHAUSTED
        || p.status() == GrpcStatus.UNAVAILABLE && p.getMessage().startsWith("no answer from"));
    return overloaded ? PlacementOutcome.PLACEMENT_OUTCOME_OVERLOADED : PlacementOutcome.PLACEMENT_OUTCOME_FAILED;
  }
}
