package dev.phantom.orchestrator.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The live zygote nodes and the placement rule. Not thread-safe: one event loop owns it.
 * Placement here is least-loaded (running plus pending); pressure-aware scoring replaces it later.
 */
public final class NodeTable {

  private final Duration staleAfter;
  private final Map<String, NodeState> nodes = new LinkedHashMap<>();

  /** @param staleAfter a node that has not reported for this long is considered gone */
  public NodeTable(Duration staleAfter) {
    this.staleAfter = staleAfter;
  }

  /** Records a node's report; its pending count restarts since the report counts what runs now. */
  public void report(String nodeId, String spawnAddress, int running, int capacity, boolean ready,
      String detail, Instant now) {
    nodes.put(nodeId, new NodeState(nodeId, spawnAddress, running, capacity, ready, detail, now, 0));
  }

  /** Forgets a node; true when it was known. */
  public boolean remove(String nodeId) {
    return nodes.remove(nodeId) != null;
  }

  /** Removes and returns the nodes that have not reported within {@code staleAfter}. */
  public List<NodeState> expire(Instant now) {
    List<NodeState> gone = new ArrayList<>();
    nodes.values().removeIf(node -> {
      boolean stale = node.lastSeen().plus(staleAfter).isBefore(now);
      if (stale) {
        gone.add(node);
      }
      return stale;
    });
    return gone;
  }

  public List<NodeState> nodes() {
    return List.copyOf(nodes.values());
  }

  /** Picks the least-loaded ready node with room; ties go to the node known longest. */
  public PlacementDecision place() {
    if (nodes.isEmpty()) {
      return new PlacementDecision.NoNodes();
    }
    List<NodeState> ready = nodes.values().stream().filter(NodeState::ready).toList();
    if (ready.isEmpty()) {
      return new PlacementDecision.NoneReady(nodes.values().iterator().next().detail());
    }
    return ready.stream()
        .filter(NodeState::hasRoom)
        .min(Comparator.comparingInt(NodeState::load))
        .<PlacementDecision>map(node -> {
          nodes.put(node.nodeId(), node.withPlacement());
          return new PlacementDecision.Placed(node.nodeId(), node.spawnAddress());
        })
        .orElseGet(() -> new PlacementDecision.AllBusy(ready.size()));
  }
}
