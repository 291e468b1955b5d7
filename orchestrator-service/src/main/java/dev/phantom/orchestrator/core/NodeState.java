package dev.phantom.orchestrator.core;

import java.time.Instant;

/**
 * What the orchestrator knows of one zygote node: its last report, and what it placed there since.
 *
 * @param placed placements sent to the node since that report
 * @param released placements whose spawn has replied since that report (PlacementDone): their sandboxes are
 *     gone, whether the report counted them (placed before it) or not (then {@code placed} counts them too)
 * @param outstanding this orchestrator's placements there whose spawn has not replied yet, across reports:
 *     a placement still on its way when the node wrote its report is in neither the report nor
 *     {@code placed}, and would otherwise let the node be overfilled until the next report
 */
public record NodeState(
    NodePressure report, String spawnAddress, String detail, Instant lastSeen, int placed, int released,
    int outstanding) {

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
    return report.withRunning(Math.max(report.running() + placed - released, outstanding));
  }

  NodeState withPlacement() {
    return new NodeState(report, spawnAddress, detail, lastSeen, placed + 1, released, outstanding + 1);
  }

  NodeState withRelease() {
    return new NodeState(report, spawnAddress, detail, lastSeen, placed, released + 1, Math.max(0, outstanding - 1));
  }
}
