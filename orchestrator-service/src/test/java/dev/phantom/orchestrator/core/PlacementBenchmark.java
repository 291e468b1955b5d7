package dev.phantom.orchestrator.core;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Cost of one placement decision: power of two choices with pressure scoring against the least-loaded
 * scan of {@link NodeTable} it is to replace, measured side by side in one run. Not a test; run with
 * {@code java -cp ... dev.phantom.orchestrator.core.PlacementBenchmark [nodes] [decisions]}.
 */
public final class PlacementBenchmark {

  public static void main(String[] args) {
    int nodes = args.length > 0 ? Integer.parseInt(args[0]) : 50;
    int decisions = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    SplittableRandom random = new SplittableRandom(7);
    List<NodePressure> snapshots = new ArrayList<>();
    NodeTable table = new NodeTable(Duration.ofHours(1));
    for (int i = 0; i < nodes; i++) {
      int running = random.nextInt(60);
      snapshots.add(new NodePressure("n" + i, true, new Psi(random.nextDouble(100), 0), new Psi(random.nextDouble(10), 0),
          Psi.NONE, 8L << 30, running, 64, i % 3 == 0 ? Map.of("python-dev", 2) : Map.of(),
          new SpawnLatency(Duration.ofMillis(20), Duration.ofMillis(60))));
      table.report("n" + i, "addr" + i, running, 64, true, "", Instant.EPOCH);
    }
    PowerOfTwoChoices p2c = new PowerOfTwoChoices(new PlacementScorer(PressureThresholds.DEFAULTS), random);
    PlacementRequest request = new PlacementRequest("python-dev", 256L << 20);
    for (int round = 0; round < 5; round++) { // the last round is reported; earlier ones warm the JIT
      long sink = 0;
      long t0 = System.nanoTime();
      for (int i = 0; i < decisions; i++) {
        table.report("n0", "addr0", 0, 64, true, "", Instant.EPOCH); // keep pending counts from growing
        sink += table.place().hashCode();
      }
      long t1 = System.nanoTime();
      for (int i = 0; i < decisions; i++) {
        sink += p2c.choose(snapshots, request).orElseThrow().node().running();
      }
      long t2 = System.nanoTime();
      if (round == 4) {
        System.out.printf("nodes=%d decisions=%d  least-loaded NodeTable.place: %.0f ns/op  "
            + "power-of-two-choices with scoring: %.0f ns/op  ratio %.2f  (sink %d)%n", nodes, decisions,
            (t1 - t0) / (double) decisions, (t2 - t1) / (double) decisions, (t2 - t1) / (double) (t1 - t0), sink);
      }
    }
  }
}
