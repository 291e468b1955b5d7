package dev.phantom.orchestrator.core;

/** The outcome of placing one sandbox: a node, or the reason there is none. */
public sealed interface PlacementDecision {

  /** @param tier why this node: a warm slot, a calm node, or only a pressured one was left */
  record Placed(String nodeId, String spawnAddress, PlacementScorer.Tier tier) implements PlacementDecision {}

  /** No zygote node is known at all (or every one known was excluded). */
  record NoNodes() implements PlacementDecision {}

  /** Nodes exist but none can spawn; {@code detail} is what one of them said (e.g. bubblewrap missing). */
  record NoneReady(String detail) implements PlacementDecision {}

  /** Every ready node is at capacity, or short of the memory asked for. */
  record AllBusy(int nodes) implements PlacementDecision {}
}
