package dev.phantom.orchestrator.bus;

import dev.phantom.orchestrator.PlacementEngine;
import dev.phantom.orchestrator.core.NodePressure;
import dev.phantom.orchestrator.core.NodeState;
import dev.phantom.orchestrator.core.NodeTable;
import dev.phantom.orchestrator.core.PlacementRequest;
import dev.phantom.orchestrator.core.PressureThresholds;
import dev.phantom.orchestrator.core.Psi;
import dev.phantom.orchestrator.core.SpawnLatency;
import dev.phantom.proto.orchestrator.v1.ListNodesRequest;
import dev.phantom.proto.orchestrator.v1.NodeList;
import dev.phantom.proto.orchestrator.v1.NodeLost;
import dev.phantom.proto.orchestrator.v1.NodeStatus;
import dev.phantom.proto.orchestrator.v1.PlaceRequest;
import dev.phantom.proto.orchestrator.v1.Placement;
import dev.phantom.proto.orchestrator.v1.PlacementDone;
import dev.phantom.proto.zygote.v1.NodeReport;
import dev.phantom.proto.zygote.v1.Pressure;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.support.trace.StageTrace;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The orchestrator on the event bus: takes node reports, answers placements (through {@link PlacementEngine}),
 * hears when placed spawns replied, announces lost nodes. Runs on its verticle's event loop, which owns the
 * {@link NodeTable}.
 */
public final class PlacementEndpoint {

  private static final Logger LOG = Logger.getLogger(PlacementEndpoint.class.getName());

  private final EventBus bus;
  private final NodeTable table;
  private final PlacementEngine engine;
  private final PressureThresholds thresholds;
  private final String doneAddress;
  private final InstantSource clock;

  public PlacementEndpoint(EventBus bus, NodeTable table, PlacementEngine engine, PressureThresholds thresholds,
      String instanceId, InstantSource clock) {
    this.bus = bus;
    this.table = table;
    this.engine = engine;
    this.thresholds = thresholds;
    this.doneAddress = Addresses.orchestratorDone(instanceId);
    this.clock = clock;
  }

  public void register() {
    BusRpc.listen(bus, Addresses.ZYGOTE_REPORT, NodeReport.parser(), this::onReport);
    BusRpc.serve(bus, Addresses.ORCHESTRATOR_PLACE, PlaceRequest.parser(), this::place);
    BusRpc.serve(bus, Addresses.ORCHESTRATOR_NODES, ListNodesRequest.parser(), request -> Future.succeededFuture(nodes()));
    BusRpc.listen(bus, doneAddress, PlacementDone.parser(), this::onDone);
  }

  NodeList nodes() {
    NodeList.Builder list = NodeList.newBuilder();
    for (NodeState node : table.nodes()) {
      NodePressure now = node.estimate();
      list.addNodes(NodeStatus.newBuilder().setNodeId(node.nodeId()).setReady(node.ready())
          .setDetail(node.detail()).setRunning(now.running()).setCapacity(now.capacity())
          .setUnderPressure(thresholds.underPressure(now)).setCpuSomeAvg10(now.cpu().someAvg10())
          .setMemorySomeAvg10(now.memory().someAvg10()).putAllWarmSlots(now.warmSlots()));
    }
    return list.build();
  }

  void onReport(NodeReport report) {
    table.report(pressure(report), report.getSpawnAddress(), report.getDetail(), clock.instant());
    engine.tick(); // a report may have freed room for what waits
  }

  /** The report as placement sees it; out-of-range figures (a foreign or broken node) are clamped, not trusted. */
  static NodePressure pressure(NodeReport report) {
    SpawnLatency latency = new SpawnLatency(Duration.ofNanos(report.getSpawnP50Micros() * 1000L),
        Duration.ofNanos(Math.max(report.getSpawnP50Micros(), report.getSpawnP99Micros()) * 1000L));
    java.util.Map<String, Integer> warm = new java.util.HashMap<>();
    report.getWarmSlotsMap().forEach((profile, idle) -> warm.put(profile, (int) Math.min(Integer.MAX_VALUE, Integer.toUnsignedLong(idle))));
    // Placement fills run slots: a node's session slots do not take runs (nodes before max_runs: the totals).
    boolean runSlots = report.getMaxRuns() > 0;
    return new NodePressure(report.getNodeId(), report.getReady(), psi(report.getCpu()), psi(report.getMemory()),
        psi(report.getIo()), Math.max(0, report.getFreeMemoryBytes()),
        clampCount(runSlots ? report.getRuns() : report.getRunning()),
        clampCount(runSlots ? report.getMaxRuns() : report.getCapacity()), warm, latency, report.getTriggered());
  }

  private static Psi psi(Pressure p) {
    return new Psi(percent(p.getSomeAvg10()), percent(p.getFullAvg10()));
  }

  private static double percent(double value) {
    return Double.isNaN(value) ? 0 : Math.max(0, Math.min(100, value));
  }

  private static int clampCount(int unsigned) {
    return (int) Math.min(Integer.MAX_VALUE, Integer.toUnsignedLong(unsigned));
  }

  Future<Placement> place(PlaceRequest request) {
    StageTrace trace = StageTrace.start("orchestrator.place");
    if (request.getProfile().isBlank()) {
      return Future.failedFuture(PhantomException.invalidArgument("profile is required"));
    }
    PlacementRequest wanted = new PlacementRequest(request.getProfile(), Math.max(0, request.getMemoryBytes()));
    Duration timeout = Duration.ofMillis(Integer.toUnsignedLong(request.getTimeoutMs()));
    return engine.place(wanted, Set.copyOf(request.getExcludeNodesList()), timeout)
        .map(placed -> {
          trace.end("placed");
          return Placement.newBuilder().setNodeId(placed.nodeId()).setSpawnAddress(placed.spawnAddress())
              .setPlacementId(placed.placementId()).setDoneAddress(doneAddress).build();
        });
  }

  void onDone(PlacementDone done) {
    PlacementEngine.Outcome outcome = switch (done.getOutcome()) {
      case PLACEMENT_OUTCOME_RAN -> PlacementEngine.Outcome.RAN;
      case PLACEMENT_OUTCOME_OVERLOADED -> PlacementEngine.Outcome.OVERLOADED;
      default -> PlacementEngine.Outcome.FAILED;
    };
    engine.done(done.getPlacementId(), outcome, Duration.ofNanos(Math.max(0, done.getSpawnMicros()) * 1000L));
  }

  /** Drops nodes that stopped reporting. */
  public void sweep() {
    for (NodeState node : table.expire(clock.instant())) {
      lost(node.nodeId(), "stopped reporting");
    }
  }

  /** A cluster member left: its zygote, if it had one, is gone now rather than after the stale delay. */
  public void memberLeft(String memberId) {
    if (table.remove(memberId)) {
      lost(memberId, "left the cluster");
    }
  }

  private void lost(String nodeId, String reason) {
    engine.nodeGone(nodeId);
    LOG.warning("zygote node " + nodeId + " lost: " + reason);
    BusRpc.publish(bus, Addresses.ORCHESTRATOR_NODE_LOST,
        NodeLost.newBuilder().setNodeId(nodeId).setReason(reason).build());
  }
}
