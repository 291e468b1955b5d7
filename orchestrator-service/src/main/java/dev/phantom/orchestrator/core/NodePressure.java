package dev.phantom.orchestrator.core;

import java.util.Map;

/**
 * One zygote node as placement, admission and pool sizing see it: a snapshot of its last report.
 *
 * @param ready false while the node cannot spawn at all (bubblewrap missing, starting up)
 * @param running sandboxes running there now
 * @param capacity sandboxes it runs at once
 * @param freeMemoryBytes memory the node could still give sandboxes (MemAvailable, or what is left under
 *     its cgroup limit, whichever is lower)
 * @param warmSlots per profile name, pre-spawned sandboxes waiting for work; absent means none
 * @param spiking a PSI trigger on the node fired within its window: a stall the 10-second averages do not
 *     show yet, which counts as pressure
 */
public record NodePressure(
    String nodeId, boolean ready, Psi cpu, Psi memory, Psi io, long freeMemoryBytes, int running, int capacity,
    Map<String, Integer> warmSlots, SpawnLatency spawnLatency, boolean spiking) {

  public NodePressure {
    warmSlots = Map.copyOf(warmSlots);
    if (running < 0 || capacity < 0 || freeMemoryBytes < 0) {
      throw new IllegalArgumentException("node " + nodeId + ": running, capacity and free memory cannot be negative");
    }
  }

  /** A node whose triggers are quiet. */
  public NodePressure(String nodeId, boolean ready, Psi cpu, Psi memory, Psi io, long freeMemoryBytes, int running,
      int capacity, Map<String, Integer> warmSlots, SpawnLatency spawnLatency) {
    this(nodeId, ready, cpu, memory, io, freeMemoryBytes, running, capacity, warmSlots, spawnLatency, false);
  }

  /** The same snapshot without the trigger's spike: what admission judges by (see NodeTable#calmRoomFor). */
  public NodePressure withoutSpike() {
    return new NodePressure(nodeId, ready, cpu, memory, io, freeMemoryBytes, running, capacity, warmSlots,
        spawnLatency, false);
  }

  /** The same snapshot with another running count (the orchestrator's estimate between reports). */
  public NodePressure withRunning(int estimate) {
    return new NodePressure(nodeId, ready, cpu, memory, io, freeMemoryBytes, Math.max(0, estimate), capacity,
        warmSlots, spawnLatency, spiking);
  }

  public int warmSlots(String profile) {
    return warmSlots.getOrDefault(profile, 0);
  }

  /** Share of the node's sandbox capacity in use, 1 when it has none. */
  public double utilization() {
    return capacity == 0 ? 1 : Math.min(1, (double) running / capacity);
  }
}
