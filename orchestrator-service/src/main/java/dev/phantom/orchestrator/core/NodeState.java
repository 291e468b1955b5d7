package dev.phantom.orchestrator.core;

import java.time.Instant;

/**
 * What the orchestrator knows of one zygote node, from its last report.
 *
 * @param pending placements sent to the node since that report, so a burst does not all land on
 *     the node that looked idlest a moment ago
 */
public record NodeState(
    String nodeId, String spawnAddress, int running, int capacity, boolean ready, String detail,
    Instant lastSeen, int pending) {

  /** Sandboxes running or about to run there: what ranks nodes against each other. */
  public int load() {
    return running + pending;
  }

  /**
   * Whether the node said it had room. Pending placements only rank nodes: short runs finish long
   * before the next report, so counting them here would call a busy node full after a burst of a
   * few hundred runs a second. The node itself refuses what it cannot take (RESOURCE_EXHAUSTED).
   */
  public boolean hasRoom() {
    return running < capacity;
  }

  NodeState withPlacement() {
    return new NodeState(nodeId, spawnAddress, running, capacity, ready, detail, lastSeen, pending + 1);
  }
}
