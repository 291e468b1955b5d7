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

  /** Sandboxes running or about to run there. */
  public int load() {
    return running + pending;
  }

  public boolean hasRoom() {
    return load() < capacity;
  }

  NodeState withPlacement() {
    return new NodeState(nodeId, spawnAddress, running, capacity, ready, detail, lastSeen, pending + 1);
  }
}
