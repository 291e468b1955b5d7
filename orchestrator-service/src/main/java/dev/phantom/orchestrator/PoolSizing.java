package dev.phantom.orchestrator;

import dev.phantom.orchestrator.core.NodeState;
import dev.phantom.orchestrator.core.PoolSizer;
import dev.phantom.proto.zygote.v1.GetPoolsRequest;
import dev.phantom.proto.zygote.v1.PoolSize;
import dev.phantom.proto.zygote.v1.PoolState;
import dev.phantom.proto.zygote.v1.PoolStates;
import dev.phantom.proto.zygote.v1.SetPoolSizesRequest;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import io.vertx.core.eventbus.EventBus;
import io.vertx.grpc.common.GrpcStatus;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Sends each zygote node the warm-pool sizes {@link PoolSizer} derives from the requests placed there. Only the
 * pools a node has are sized (which profiles stay warm, and with which agent, is its operator's call), and
 * their sizes as configured are the floor: the orchestrator raises a pool when traffic needs more and lowers
 * it back, never below what the operator set (learnt from the node's pool list the first time it is seen).
 * Only changed sizes are sent. Runs on the orchestrator verticle's event loop.
 */
public final class PoolSizing {

  private static final Logger LOG = Logger.getLogger(PoolSizing.class.getName());
  private static final long TIMEOUT_MS = 5_000;

  private record Pool(int floor, int target, long slotBytes) {}

  private final EventBus bus;
  private final PoolSizer sizer;
  /** Per node, per profile; a node is absent until its pool list has come. */
  private final Map<String, Map<String, Pool>> nodes = new HashMap<>();
  private final Set<String> asking = new HashSet<>();

  public PoolSizing(EventBus bus, PoolSizer sizer) {
    this.bus = bus;
    this.sizer = sizer;
  }

  /** Sizes every ready node's pools (asks a node for its pool list first, once). */
  public void run(List<NodeState> live) {
    for (NodeState node : live) {
      if (!node.ready()) {
        continue;
      }
      Map<String, Pool> pools = nodes.get(node.nodeId());
      if (pools == null) {
        if (asking.add(node.nodeId())) {
          learn(node.nodeId());
        }
        continue;
      }
      Map<String, Long> slotBytes = new HashMap<>();
      pools.forEach((profile, pool) -> slotBytes.put(profile, pool.slotBytes()));
      SetPoolSizesRequest.Builder changed = SetPoolSizesRequest.newBuilder();
      for (PoolSizer.PoolSize size : sizer.decide(node.estimate(), slotBytes)) {
        Pool pool = pools.get(size.profile());
        if (pool == null) {
          continue; // no pool for this profile on the node: which profiles stay warm, and with which agent, is its operator's call
        }
        int wanted = Math.max(pool.floor(), size.size());
        if (wanted != pool.target()) {
          changed.addSizes(PoolSize.newBuilder().setProfile(size.profile()).setSize(wanted));
        }
      }
      if (changed.getSizesCount() > 0) {
        send(node.nodeId(), changed.build());
      }
    }
    nodes.keySet().retainAll(live.stream().map(NodeState::nodeId).toList());
  }

  private void learn(String nodeId) {
    BusRpc.request(bus, Addresses.zygotePoolsGet(nodeId), GetPoolsRequest.getDefaultInstance(), PoolStates.parser(),
            TIMEOUT_MS)
        .onSuccess(states -> {
          Map<String, Pool> pools = new HashMap<>();
          states.getPoolsList().forEach(s -> pools.put(s.getProfile(), new Pool(s.getTarget(), s.getTarget(), s.getSlotBytes())));
          nodes.put(nodeId, pools);
        })
        .onComplete(done -> asking.remove(nodeId)) // on failure, asked again next round
        .onFailure(e -> {
          LOG.fine("pool list of node " + nodeId + " unavailable: " + e.getMessage());
        });
  }

  private void send(String nodeId, SetPoolSizesRequest request) {
    BusRpc.request(bus, Addresses.zygotePoolsSet(nodeId), request, PoolStates.parser(), TIMEOUT_MS)
        .onSuccess(states -> update(nodeId, states))
        .onFailure(e -> {
          // A size above the node's memory ceiling is refused: the node keeps what it has; try again next round.
          Level level = e instanceof PhantomException p && p.status() == GrpcStatus.RESOURCE_EXHAUSTED ? Level.FINE : Level.INFO;
          LOG.log(level, "pool sizes for node " + nodeId + " not applied: " + e.getMessage());
        });
  }

  private void update(String nodeId, PoolStates states) {
    Map<String, Pool> pools = nodes.get(nodeId);
    if (pools == null) {
      return;
    }
    for (PoolState state : states.getPoolsList()) {
      Pool old = pools.get(state.getProfile());
      pools.put(state.getProfile(), new Pool(old == null ? 0 : old.floor(), state.getTarget(), state.getSlotBytes()));
    }
  }
}
