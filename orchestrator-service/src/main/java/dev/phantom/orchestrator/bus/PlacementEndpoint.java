package dev.phantom.orchestrator.bus;

import dev.phantom.orchestrator.core.NodeState;
import dev.phantom.orchestrator.core.NodeTable;
import dev.phantom.orchestrator.core.PlacementDecision;
import dev.phantom.proto.orchestrator.v1.ListNodesRequest;
import dev.phantom.proto.orchestrator.v1.NodeList;
import dev.phantom.proto.orchestrator.v1.NodeLost;
import dev.phantom.proto.orchestrator.v1.NodeStatus;
import dev.phantom.proto.orchestrator.v1.PlaceRequest;
import dev.phantom.proto.orchestrator.v1.Placement;
import dev.phantom.proto.zygote.v1.NodeReport;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.grpc.common.GrpcStatus;
import java.time.InstantSource;
import java.util.logging.Logger;

/**
 * The orchestrator on the event bus: takes node reports, answers placements, announces lost nodes.
 * Runs on its verticle's event loop, which owns the {@link NodeTable}.
 */
public final class PlacementEndpoint {

  private static final Logger LOG = Logger.getLogger(PlacementEndpoint.class.getName());

  private final EventBus bus;
  private final NodeTable table;
  private final InstantSource clock;

  public PlacementEndpoint(EventBus bus, NodeTable table, InstantSource clock) {
    this.bus = bus;
    this.table = table;
    this.clock = clock;
  }

  public void register() {
    BusRpc.listen(bus, Addresses.ZYGOTE_REPORT, NodeReport.parser(), this::onReport);
    BusRpc.serve(bus, Addresses.ORCHESTRATOR_PLACE, PlaceRequest.parser(), this::place);
    BusRpc.serve(bus, Addresses.ORCHESTRATOR_NODES, ListNodesRequest.parser(), request -> Future.succeededFuture(nodes()));
  }

  NodeList nodes() {
    NodeList.Builder list = NodeList.newBuilder();
    for (NodeState node : table.nodes()) {
      list.addNodes(NodeStatus.newBuilder().setNodeId(node.nodeId()).setReady(node.ready())
          .setDetail(node.detail()).setRunning(node.running()).setCapacity(node.capacity()));
    }
    return list.build();
  }

  void onReport(NodeReport report) {
    table.report(report.getNodeId(), report.getSpawnAddress(), report.getRunning(), report.getCapacity(),
        report.getReady(), report.getDetail(), clock.instant());
  }

  Future<Placement> place(PlaceRequest request) {
    return switch (table.place()) {
      case PlacementDecision.Placed placed -> Future.succeededFuture(Placement.newBuilder()
          .setNodeId(placed.nodeId()).setSpawnAddress(placed.spawnAddress()).build());
      case PlacementDecision.NoNodes none -> Future.failedFuture(PhantomException.unavailable(
          "no zygote node is running: start one (phantom up, or phantom node --role zygote)"));
      case PlacementDecision.NoneReady notReady -> Future.failedFuture(
          PhantomException.failedPrecondition(notReady.detail()));
      case PlacementDecision.AllBusy busy -> Future.failedFuture(new PhantomException(
          GrpcStatus.RESOURCE_EXHAUSTED, "all " + busy.nodes() + " zygote node(s) are at capacity; retry later"));
    };
  }

  /** Drops nodes that stopped reporting. */
  public void sweep() {
    for (NodeState node : table.expire(clock.instant())) {
      announceLost(node.nodeId(), "stopped reporting");
    }
  }

  /** A cluster member left: its zygote, if it had one, is gone now rather than after the stale delay. */
  public void memberLeft(String memberId) {
    if (table.remove(memberId)) {
      announceLost(memberId, "left the cluster");
    }
  }

  private void announceLost(String nodeId, String reason) {
    LOG.warning("zygote node " + nodeId + " lost: " + reason);
    BusRpc.publish(bus, Addresses.ORCHESTRATOR_NODE_LOST,
        NodeLost.newBuilder().setNodeId(nodeId).setReason(reason).build());
  }
}
