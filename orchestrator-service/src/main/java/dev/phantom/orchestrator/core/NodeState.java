package dev.phantom.orchestrator.core;

import java.time.Instant;

/**
 * What the orchestrator knows of one zygote node: its last report, and what it placed there since.
 *
 * @param placed placements sent to the node since that report
 * @param released placements whose spawn has replied since that report (PlacementDone): their sandboxes are
 *     gone, whether the report counted them (placed before it) or not (then {@code placed} counts them too)
 */
public record NodeState(
    NodePressure report, String spawnAddress, String detail, Instant lastSeen, int placed, int released) {

  public String nodeId() {
    return report.nodeId();
  }

  public boolean ready() {
    return report.ready();
  }

  /**
   * The report with the running count brought up to date: the report's count plus what was placed there
   * since, minus what has ended since. Short runs start and end between two reports; counting only
   * placements would call a busy node full after a burst, counting nothing would overfill it.
   */
  public NodePressure estimate() {
    return report.withRunning(report.running() + placed - released);
  }

  NodeState withPlacement() {
    return new NodeState(report, spawnAddress, detail, lastSeen, placed + 1, released);
  }

  NodeState withRelease() {
    return new NodeState(report, spawnAddress, detail, lastSeen, placed, released + 1);
  }
}
