package dev.phantom.orchestrator.core;

/** The outcome of placing one sandbox: a node, or the reason there is none. */
public sealed interface PlacementDecision {

  record Placed(String nodeId, String spawnAddress) implements PlacementDecision {}

  /** No zygote node is known at all. */
  record NoNodes() implements PlacementDecision {}

  /** Nodes exist but none can spawn; {@code detail} is what one of them said (e.g. bubblewrap missing). */
  record NoneReady(String detail) implements PlacementDecision {}

  /** Every ready node is at capacity. */
  record AllBusy(int nodes) implements PlacementDecision {}
}
