package dev.phantom.orchestrator.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The live zygote nodes and where the next sandbox goes. Not thread-safe: one event loop owns it.
 * Placement is power of two choices over the nodes that can run the request, scored by pressure and warm
 * slots ({@link PowerOfTwoChoices}, {@link PlacementScorer}), on each node's report brought up to date with
 * what this orchestrator placed and saw end since.
 */
public final class NodeTable {

  private final Duration staleAfter;
  private final PowerOfTwoChoices chooser;
  private final Map<String, NodeState> nodes = new LinkedHashMap<>();

  /** @param staleAfter a node that has not reported for this long is considered gone */
  public NodeTable(Duration staleAfter, PowerOfTwoChoices chooser) {
    this.staleAfter = staleAfter;
    this.chooser = chooser;
  }

  /**
   * Records a node's report; the counts since the last one restart, since the report counts what runs now,
   * except the placements still outstanding.
   */
  public void report(NodePressure report, String spawnAddress, String detail, Instant now) {
    NodeState before = nodes.get(report.nodeId());
    nodes.put(report.nodeId(), new NodeState(report, spawnAddress, detail, now, 0, 0,
        before == null ? 0 : before.outstanding()));
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

  /** Nodes that can spawn at all. */
  public int readyNodes() {
    return (int) nodes.values().stream().filter(NodeState::ready).count();
  }

  public Optional<NodeState> node(String nodeId) {
    return Optional.ofNullable(nodes.get(nodeId));
  }

  /**
   * Whether some node could take {@code request} now without being under sustained pressure. When none can
   * (all pressured, full or short of memory), admission makes new work wait instead of placing it. A trigger's
   * spike steers placement away from a node but does not close admission: a burst of sandboxes raises its own
   * node's stall for a second, and shedding the rest of the burst for it would be shedding work the node takes.
   */
  public boolean calmRoomFor(PlacementRequest request, Set<String> exclude) {
    return candidates(exclude).stream().anyMatch(node -> {
      PlacementScorer.Score score = chooser.scorer().score(node.withoutSpike(), request);
      return score.eligible() && score.tier() != PlacementScorer.Tier.PRESSURED;
    });
  }

  /** Why nothing could be placed whatever the load: no node (but the excluded), or none ready. */
  public Optional<PlacementDecision> unplaceable(Set<String> exclude) {
    return unplaceable(candidates(exclude));
  }

  private Optional<PlacementDecision> unplaceable(List<NodePressure> candidates) {
    if (candidates.isEmpty()) {
      return Optional.of(new PlacementDecision.NoNodes());
    }
    if (candidates.stream().noneMatch(NodePressure::ready)) {
      return Optional.of(new PlacementDecision.NoneReady(nodes.get(candidates.get(0).nodeId()).detail()));
    }
    return Optional.empty();
  }

  /** Whether some node has a free slot and the memory for {@code request}, pressured or not. */
  public boolean roomFor(PlacementRequest request, Set<String> exclude) {
    return candidates(exclude).stream().anyMatch(node -> PlacementScorer.canRun(node, request));
  }

  /** Chooses a node and counts the placement on it. */
  public PlacementDecision place(PlacementRequest request, Set<String> exclude) {
    List<NodePressure> candidates = candidates(exclude);
    Optional<PlacementDecision> none = unplaceable(candidates);
    if (none.isPresent()) {
      return none.get();
    }
    List<NodePressure> ready = candidates.stream().filter(NodePressure::ready).toList();
    return chooser.choose(ready, request).<PlacementDecision>map(choice -> {
      NodeState node = nodes.get(choice.node().nodeId());
      nodes.put(node.nodeId(), node.withPlacement());
      return new PlacementDecision.Placed(node.nodeId(), node.spawnAddress(), choice.score().tier());
    }).orElseGet(() -> new PlacementDecision.AllBusy(ready.size()));
  }

  /** A placement's spawn on {@code nodeId} has replied: its sandbox no longer runs there. */
  public void released(String nodeId) {
    NodeState node = nodes.get(nodeId);
    if (node != null) {
      nodes.put(nodeId, node.withRelease());
    }
  }

  private List<NodePressure> candidates(Set<String> exclude) {
    return nodes.values().stream().filter(n -> !exclude.contains(n.nodeId())).map(NodeState::estimate).toList();
  }
}
