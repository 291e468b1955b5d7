package dev.phantom.orchestrator.core;

import static dev.phantom.orchestrator.core.PlacementScorer.Tier.COLD;
import static dev.phantom.orchestrator.core.PlacementScorer.Tier.INELIGIBLE;
import static dev.phantom.orchestrator.core.PlacementScorer.Tier.PRESSURED;
import static dev.phantom.orchestrator.core.PlacementScorer.Tier.WARM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PlacementScorerTest {

  private static final PlacementScorer SCORER = new PlacementScorer(PressureThresholds.DEFAULTS);
  private static final PlacementRequest PY = new PlacementRequest("python-dev", 512L << 20);

  static Stream<Arguments> tiers() {
    Map<String, Integer> warmPy = Map.of("python-dev", 2);
    return Stream.of(
        Arguments.of("calm, no warm slot", Nodes.calm("a"), COLD),
        Arguments.of("calm, warm slot of the profile", Nodes.calm("a").warm(warmPy), WARM),
        Arguments.of("warm slots of another profile only", Nodes.calm("a").warm(Map.of("minimal", 3)), COLD),
        Arguments.of("zero warm slots listed", Nodes.calm("a").warm(Map.of("python-dev", 0)), COLD),
        Arguments.of("warm but cpu some at threshold", Nodes.calm("a").warm(warmPy).cpu(80), PRESSURED),
        Arguments.of("cpu some just under threshold", Nodes.calm("a").cpu(79.99), COLD),
        Arguments.of("warm but memory full stall", Nodes.calm("a").warm(warmPy).memory(0, 5), PRESSURED),
        Arguments.of("memory some stall", Nodes.calm("a").memory(20, 0), PRESSURED),
        Arguments.of("io full stall", Nodes.calm("a").io(50, 20), PRESSURED),
        Arguments.of("io some alone is not pressure", Nodes.calm("a").io(60, 0), COLD),
        Arguments.of("free memory under the floor", Nodes.calm("a").free(200L << 20).warm(warmPy), INELIGIBLE),
        Arguments.of("free memory just below the request", Nodes.calm("a").free((512L << 20) - 1), INELIGIBLE),
        Arguments.of("free memory exactly the request", Nodes.calm("a").free(512L << 20), COLD),
        Arguments.of("not ready", Nodes.calm("a").ready(false).warm(warmPy), INELIGIBLE),
        Arguments.of("at capacity", Nodes.calm("a").running(10, 10).warm(warmPy), INELIGIBLE),
        Arguments.of("no capacity at all", Nodes.calm("a").running(0, 0), INELIGIBLE));
  }

  @ParameterizedTest(name = "{0} -> {2}")
  @MethodSource("tiers")
  void tierOfANode(String what, Nodes node, PlacementScorer.Tier expected) {
    assertThat(SCORER.score(node.node(), PY).tier()).isEqualTo(expected);
  }

  @Test
  void aRequestWithoutMemoryFitsAPressuredNodeUnderTheFloor() {
    // The floor makes the node pressured; only the request's own size makes it ineligible.
    NodePressure low = Nodes.calm("a").free(100L << 20).node();
    assertThat(SCORER.score(low, new PlacementRequest("minimal", 0)).tier()).isEqualTo(PRESSURED);
  }

  static Stream<Arguments> orderings() {
    return Stream.of(
        Arguments.of("warm beats an idle cold node", Nodes.calm("a").running(9, 10).warm(Map.of("python-dev", 1)),
            Nodes.calm("b")),
        Arguments.of("cold calm beats warm pressured", Nodes.calm("a").running(9, 10),
            Nodes.calm("b").warm(Map.of("python-dev", 5)).memory(0, 30)),
        Arguments.of("fewer running wins within a tier", Nodes.calm("a").running(2, 10), Nodes.calm("b").running(3, 10)),
        Arguments.of("share of capacity, not count", Nodes.calm("a").running(4, 40), Nodes.calm("b").running(2, 10)),
        Arguments.of("equal counts: less stall wins", Nodes.calm("a").running(2, 10).cpu(10),
            Nodes.calm("b").running(2, 10).cpu(40)),
        Arguments.of("pressured: the less loaded wins", Nodes.calm("a").cpu(85),
            Nodes.calm("b").cpu(95)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("orderings")
  void betterNodeScoresLower(String what, Nodes better, Nodes worse) {
    assertThat(SCORER.score(better.node(), PY)).isLessThan(SCORER.score(worse.node(), PY));
  }

  @Test
  void snapshotsRejectImpossibleFigures() {
    assertThatThrownBy(() -> new Psi(101, 0)).hasMessageContaining("someAvg10");
    assertThatThrownBy(() -> new Psi(0, Double.NaN)).hasMessageContaining("fullAvg10");
    assertThatThrownBy(() -> Nodes.calm("a").running(-1, 10)).hasMessageContaining("cannot be negative");
    assertThatThrownBy(() -> new PlacementRequest(" ", 0)).hasMessageContaining("profile");
  }
}
