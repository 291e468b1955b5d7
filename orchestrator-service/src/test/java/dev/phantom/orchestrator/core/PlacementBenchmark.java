package dev.phantom.orchestrator.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Cost of one placement decision: {@link NodeTable#place} (power of two choices with pressure scoring, on
 * estimates brought up to date) against the least-loaded scan it replaced, measured side by side in one run.
 * Not a test; run with
 * {@code java -cp ... dev.phantom.orchestrator.core.PlacementBenchmark [nodes] [decisions]}.
 */
public final class PlacementBenchmark {

  public static void main(String[] args) {
    int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int decisions = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    SplittableRandom random = new SplittableRandom(7);
    List<NodePressure> snapshots = new ArrayList<>();
    PowerOfTwoChoices p2c = new PowerOfTwoChoices(new PlacementScorer(PressureThresholds.DEFAULTS), random);
    NodeTable table = new NodeTable(Duration.ofHours(1), p2c);
    for (int i = 0; i < nodes; i++) {
      int running = random.nextInt(60);
      NodePressure node = new NodePressure("n" + i, true, new Psi(random.nextDouble(100), 0),
          new Psi(random.nextDouble(10), 0), Psi.NONE, 8L << 30, running, 64,
          i % 3 == 0 ? Map.of("python-dev", 2) : Map.of(), new SpawnLatency(Duration.ofMillis(20), Duration.ofMillis(60)));
      snapshots.add(node);
      table.report(node, "addr" + i, "", Instant.EPOCH);
    }
    PlacementRequest request = new PlacementRequest("python-dev", 256L << 20);
    for (int round = 0; round < 5; round++) { // the last round is reported; earlier ones warm the JIT
      long sink = 0;
      long t0 = System.nanoTime();
      for (int i = 0; i < decisions; i++) { // baseline: the least-loaded scan NodeTable used to do
        NodePressure best = null;
        for (NodePressure n : snapshots) {
          if (n.ready() && n.running() < n.capacity() && (best == null || n.running() < best.running())) {
            best = n;
          }
        }
        sink += best.running();
      }
      long t1 = System.nanoTime();
      for (int i = 0; i < decisions; i++) {
        PlacementDecision.Placed placed = (PlacementDecision.Placed) table.place(request, java.util.Set.of());
        table.released(placed.nodeId()); // keep counts from growing
        sink += placed.nodeId().length();
      }
      long t2 = System.nanoTime();
      if (round == 4) {
        System.out.printf("nodes=%d decisions=%d  least-loaded scan: %.0f ns/op  "
            + "NodeTable.place (power of two choices, scored): %.0f ns/op  ratio %.2f  (sink %d)%n", nodes, decisions,
            (t1 - t0) / (double) decisions, (t2 - t1) / (double) decisions, (t2 - t1) / (double) (t1 - t0), sink);
      }
    }
  }
}
