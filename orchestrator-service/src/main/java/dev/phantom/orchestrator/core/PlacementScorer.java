package dev.phantom.orchestrator.core;

/**
 * Ranks one node for one request; a pure function of the node's snapshot. Lower scores win.
 *
 * <p>The tier decides first: a warm slot on a node that is not under pressure beats everything,
 * because a warm start skips the spawn itself (the largest cost). A node under pressure ranks after
 * every calm one even with a warm slot: taking a slot there adds work to a node that already makes
 * its tasks wait. Within a tier the load decides: the share of capacity in use plus the mean "some"
 * stall of cpu, memory and io, so that two nodes with equal counts differ by how their kernels cope.
 */
public final class PlacementScorer {

  /** Best first; INELIGIBLE nodes are never chosen. */
  public enum Tier { WARM, COLD, PRESSURED, INELIGIBLE }

  public record Score(Tier tier, double load) implements Comparable<Score> {
    @Override
    public int compareTo(Score other) {
      int byTier = tier.compareTo(other.tier);
      return byTier != 0 ? byTier : Double.compare(load, other.load);
    }

    public boolean eligible() {
      return tier != Tier.INELIGIBLE;
    }
  }

  private final PressureThresholds thresholds;

  public PlacementScorer(PressureThresholds thresholds) {
    this.thresholds = thresholds;
  }

  public PressureThresholds thresholds() {
    return thresholds;
  }

  public Score score(NodePressure node, PlacementRequest request) {
    double load = node.utilization()
        + (node.cpu().someAvg10() + node.memory().someAvg10() + node.io().someAvg10()) / 300;
    if (!canRun(node, request)) {
      return new Score(Tier.INELIGIBLE, load);
    }
    if (thresholds.underPressure(node)) {
      return new Score(Tier.PRESSURED, load);
    }
    return new Score(node.warmSlots(request.profile()) > 0 ? Tier.WARM : Tier.COLD, load);
  }

  /** Ready, with a free sandbox slot, and with the memory the request asks for. */
  public static boolean canRun(NodePressure node, PlacementRequest request) {
    return node.ready() && node.running() < node.capacity() && node.freeMemoryBytes() >= request.memoryBytes();
  }
}
