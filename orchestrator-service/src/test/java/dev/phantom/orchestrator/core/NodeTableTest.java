package dev.phantom.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class NodeTableTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private final NodeTable table = new NodeTable(Duration.ofSeconds(2));

  @Test
  void noNodesAtAll() {
    assertThat(table.place()).isInstanceOf(PlacementDecision.NoNodes.class);
  }

  @Test
  void picksLeastLoadedReadyNode() {
    table.report("a", "addr-a", 5, 10, true, "", T0);
    table.report("b", "addr-b", 2, 10, true, "", T0);
    table.report("c", "addr-c", 0, 10, false, "bwrap missing", T0);
    assertThat(table.place()).isEqualTo(new PlacementDecision.Placed("b", "addr-b"));
  }

  @Test
  void pendingPlacementsSpreadABurstUntilTheNextReport() {
    table.report("a", "addr-a", 0, 10, true, "", T0);
    table.report("b", "addr-b", 1, 10, true, "", T0);
    assertThat(table.place()).isEqualTo(new PlacementDecision.Placed("a", "addr-a"));
    // a now has 1 pending: tie with b, the earlier-known node wins
    assertThat(table.place()).isEqualTo(new PlacementDecision.Placed("a", "addr-a"));
    assertThat(table.place()).isEqualTo(new PlacementDecision.Placed("b", "addr-b"));
    table.report("a", "addr-a", 0, 10, true, "", T0);
    assertThat(table.place()).isEqualTo(new PlacementDecision.Placed("a", "addr-a"));
  }

  @Test
  void nodesThatCannotSpawnExplainWhy() {
    table.report("a", "addr-a", 0, 10, false, "bubblewrap is not installed", T0);
    assertThat(table.place()).isEqualTo(new PlacementDecision.NoneReady("bubblewrap is not installed"));
  }

  @Test
  void fullNodesAreBusy() {
    table.report("a", "addr-a", 2, 2, true, "", T0);
    assertThat(table.place()).isEqualTo(new PlacementDecision.AllBusy(1));
  }

  @Test
  void aBurstOfShortRunsDoesNotMakeANodeLookFull() {
    table.report("a", "addr-a", 0, 4, true, "", T0);
    for (int i = 0; i < 100; i++) {
      assertThat(table.place()).isEqualTo(new PlacementDecision.Placed("a", "addr-a"));
    }
  }

  @Test
  void silentNodesExpire() {
    table.report("a", "addr-a", 0, 10, true, "", T0);
    table.report("b", "addr-b", 0, 10, true, "", T0.plusSeconds(2));
    assertThat(table.expire(T0.plusMillis(2_001))).extracting(NodeState::nodeId).containsExactly("a");
    assertThat(table.nodes()).extracting(NodeState::nodeId).containsExactly("b");
    assertThat(table.remove("b")).isTrue();
    assertThat(table.remove("b")).isFalse();
  }
}
