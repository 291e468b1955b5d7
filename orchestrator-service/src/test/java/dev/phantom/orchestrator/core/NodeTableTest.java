package dev.phantom.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NodeTableTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final PlacementRequest MINIMAL = new PlacementRequest("minimal", 0);

  private final NodeTable table = new NodeTable(Duration.ofSeconds(2),
      new PowerOfTwoChoices(new PlacementScorer(PressureThresholds.DEFAULTS), new SplittableRandom(1)));

  private void report(Nodes node) {
    table.report(node.node(), "addr-" + node.node().nodeId(), node.node().ready() ? "" : "bwrap missing", T0);
  }

  private PlacementDecision place() {
    return table.place(MINIMAL, Set.of());
  }

  @Test
  void noNodesAtAll() {
    assertThat(place()).isInstanceOf(PlacementDecision.NoNodes.class);
  }

  @Test
  void nodesThatCannotSpawnExplainWhy() {
    report(Nodes.calm("a").ready(false));
    assertThat(place()).isEqualTo(new PlacementDecision.NoneReady("bwrap missing"));
  }

  @Test
  void fullNodesAreBusy() {
    report(Nodes.calm("a").running(2, 2));
    assertThat(place()).isEqualTo(new PlacementDecision.AllBusy(1));
    assertThat(table.calmRoomFor(MINIMAL, Set.of())).isFalse();
  }

  @Test
  void aWarmSlotWinsAndAPressuredNodeLoses() {
    report(Nodes.calm("cold"));
    report(Nodes.calm("warm").warm(Map.of("minimal", 1)));
    report(Nodes.calm("hot").cpu(95).warm(Map.of("minimal", 5)));
    Map<String, Integer> share = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      PlacementDecision.Placed placed = (PlacementDecision.Placed) place();
      share.merge(placed.nodeId(), 1, Integer::sum);
      table.released(placed.nodeId()); // each run ends before the next: counts stay where they are
    }
    // Two of three sampled each time: the hot node is only taken when paired with nothing better, never.
    assertThat(share).doesNotContainKey("hot");
    assertThat(share.get("warm")).isGreaterThan(share.getOrDefault("cold", 0));
  }

  @Test
  void onlyPressuredNodesLeftMeansNoCalmRoomButStillAPlace() {
    report(Nodes.calm("a").cpu(90));
    report(Nodes.calm("b").free(10L << 20));
    assertThat(table.calmRoomFor(MINIMAL, Set.of())).isFalse();
    assertThat(place()).isInstanceOfSatisfying(PlacementDecision.Placed.class,
        p -> assertThat(p.tier()).isEqualTo(PlacementScorer.Tier.PRESSURED));
  }

  @Test
  void aSpikeSteersPlacementAwayButDoesNotCloseAdmission() {
    NodePressure n = Nodes.calm("spiking").node();
    table.report(new NodePressure("spiking", true, n.cpu(), n.memory(), n.io(), n.freeMemoryBytes(), 0, 10, Map.of(),
        n.spawnLatency(), true), "addr-spiking", "", T0);
    report(Nodes.calm("calm"));
    for (int i = 0; i < 20; i++) {
      PlacementDecision.Placed placed = (PlacementDecision.Placed) place();
      assertThat(placed.nodeId()).isEqualTo("calm");
      table.released("calm");
    }
    table.remove("calm");
    assertThat(table.calmRoomFor(MINIMAL, Set.of())).as("a spike alone is no sustained pressure").isTrue();
  }

  @Test
  void placementsFillANodeUntilReleasesOrTheNextReportFreeIt() {
    report(Nodes.calm("a").running(0, 2));
    assertThat(place()).isInstanceOf(PlacementDecision.Placed.class);
    assertThat(place()).isInstanceOf(PlacementDecision.Placed.class);
    assertThat(place()).isInstanceOf(PlacementDecision.AllBusy.class);
    table.released("a");
    assertThat(place()).isInstanceOf(PlacementDecision.Placed.class);
    table.released("a");
    table.released("a");
    report(Nodes.calm("a").running(0, 2)); // all ended before this report
    assertThat(table.node("a").orElseThrow().estimate().running()).isZero();
  }

  @Test
  void aPlacementInTransitWhenTheNodeReportedStillCounts() {
    report(Nodes.calm("a").running(0, 2));
    place();
    place();
    report(Nodes.calm("a").running(0, 2)); // written before either spawn arrived
    assertThat(place()).as("both placements are still outstanding").isInstanceOf(PlacementDecision.AllBusy.class);
    table.released("a");
    assertThat(place()).isInstanceOf(PlacementDecision.Placed.class);
  }

  @Test
  void aBurstOfShortRunsDoesNotMakeANodeLookFull() {
    report(Nodes.calm("a").running(0, 4));
    for (int i = 0; i < 100; i++) {
      assertThat(place()).isInstanceOf(PlacementDecision.Placed.class);
      table.released("a");
    }
  }

  @Test
  void excludedNodesAreNotChosen() {
    report(Nodes.calm("a"));
    report(Nodes.calm("b"));
    for (int i = 0; i < 10; i++) {
      assertThat(((PlacementDecision.Placed) table.place(MINIMAL, Set.of("a"))).nodeId()).isEqualTo("b");
    }
    assertThat(table.place(MINIMAL, Set.of("a", "b"))).isInstanceOf(PlacementDecision.NoNodes.class);
  }

  @Test
  void silentNodesExpire() {
    report(Nodes.calm("a"));
    table.report(Nodes.calm("b").node(), "addr-b", "", T0.plusSeconds(2));
    assertThat(table.expire(T0.plusMillis(2_001))).extracting(NodeState::nodeId).containsExactly("a");
    assertThat(table.nodes()).extracting(NodeState::nodeId).containsExactly("b");
    assertThat(table.remove("b")).isTrue();
    assertThat(table.remove("b")).isFalse();
  }
}
