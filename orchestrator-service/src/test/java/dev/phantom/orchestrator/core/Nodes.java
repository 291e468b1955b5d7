package dev.phantom.orchestrator.core;

import java.time.Duration;
import java.util.Map;

/** Node snapshots for tests: a calm, ready node with room, changed one field at a time. */
record Nodes(NodePressure node) {

  static final long GIB = 1L << 30;

  static Nodes calm(String id) {
    return new Nodes(new NodePressure(id, true, Psi.NONE, Psi.NONE, Psi.NONE, 8 * GIB, 0, 10, Map.of(),
        new SpawnLatency(Duration.ofMillis(20), Duration.ofMillis(50))));
  }

  Nodes ready(boolean ready) {
    NodePressure n = node;
    return new Nodes(new NodePressure(n.nodeId(), ready, n.cpu(), n.memory(), n.io(), n.freeMemoryBytes(), n.running(),
        n.capacity(), n.warmSlots(), n.spawnLatency()));
  }

  Nodes cpu(double some) {
    NodePressure n = node;
    return new Nodes(new NodePressure(n.nodeId(), n.ready(), new Psi(some, 0), n.memory(), n.io(), n.freeMemoryBytes(),
        n.running(), n.capacity(), n.warmSlots(), n.spawnLatency()));
  }

  Nodes memory(double some, double full) {
    NodePressure n = node;
    return new Nodes(new NodePressure(n.nodeId(), n.ready(), n.cpu(), new Psi(some, full), n.io(), n.freeMemoryBytes(),
        n.running(), n.capacity(), n.warmSlots(), n.spawnLatency()));
  }

  Nodes io(double some, double full) {
    NodePressure n = node;
    return new Nodes(new NodePressure(n.nodeId(), n.ready(), n.cpu(), n.memory(), new Psi(some, full), n.freeMemoryBytes(),
        n.running(), n.capacity(), n.warmSlots(), n.spawnLatency()));
  }

  Nodes free(long bytes) {
    NodePressure n = node;
    return new Nodes(new NodePressure(n.nodeId(), n.ready(), n.cpu(), n.memory(), n.io(), bytes, n.running(),
        n.capacity(), n.warmSlots(), n.spawnLatency()));
  }

  Nodes running(int running, int capacity) {
    NodePressure n = node;
    return new Nodes(new NodePressure(n.nodeId(), n.ready(), n.cpu(), n.memory(), n.io(), n.freeMemoryBytes(), running,
        capacity, n.warmSlots(), n.spawnLatency()));
  }

  Nodes warm(Map<String, Integer> slots) {
    NodePressure n = node;
    return new Nodes(new NodePressure(n.nodeId(), n.ready(), n.cpu(), n.memory(), n.io(), n.freeMemoryBytes(),
        n.running(), n.capacity(), slots, n.spawnLatency()));
  }

  Nodes spawnP99(Duration p99) {
    NodePressure n = node;
    return new Nodes(new NodePressure(n.nodeId(), n.ready(), n.cpu(), n.memory(), n.io(), n.freeMemoryBytes(),
        n.running(), n.capacity(), n.warmSlots(), new SpawnLatency(Duration.ZERO, p99)));
  }
}
