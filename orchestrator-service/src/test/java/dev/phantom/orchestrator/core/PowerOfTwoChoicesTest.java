package dev.phantom.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PowerOfTwoChoicesTest {

  private static final PlacementScorer SCORER = new PlacementScorer(PressureThresholds.DEFAULTS);
  private static final PlacementRequest PY = new PlacementRequest("python-dev", 0);

  /** Returns the scripted bounded ints in order; anything else is a test failure. */
  private static final class Scripted implements RandomGenerator {
    private final Deque<Integer> ints;

    Scripted(Integer... ints) {
      this.ints = new ArrayDeque<>(List.of(ints));
    }

    @Override
    public int nextInt(int bound) {
      int next = ints.removeFirst();
      assertThat(next).isBetween(0, bound - 1);
      return next;
    }

    @Override
    public long nextLong() {
      throw new AssertionError("only nextInt(bound) is expected");
    }
  }

  private static final List<NodePressure> THREE = List.of(
      Nodes.calm("a").running(5, 10).node(),
      Nodes.calm("b").running(1, 10).node(),
      Nodes.calm("c").running(3, 10).node());

  static Stream<Arguments> scripted() {
    return Stream.of(
        // second draw is over size-1 and skips the first index, so the two are always distinct
        Arguments.of("a vs b (1 -> skips 0 -> b)", THREE, new Integer[] {0, 0}, "b"),
        Arguments.of("b vs a", THREE, new Integer[] {1, 0}, "b"),
        Arguments.of("a vs c", THREE, new Integer[] {0, 1}, "c"),
        Arguments.of("c vs a", THREE, new Integer[] {2, 0}, "c"),
        Arguments.of("c vs b (a draw below the first stays)", THREE, new Integer[] {2, 1}, "b"),
        Arguments.of("ineligible nodes are not sampled", List.of(
            Nodes.calm("x").ready(false).node(), Nodes.calm("y").running(9, 10).node(),
            Nodes.calm("z").running(10, 10).node(), Nodes.calm("w").running(8, 10).node()),
            new Integer[] {0, 0}, "w"),
        Arguments.of("a single eligible node needs no draw", List.of(
            Nodes.calm("x").ready(false).node(), Nodes.calm("y").node()), new Integer[] {}, "y"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scripted")
  void picksTheBetterOfTwoDraws(String what, List<NodePressure> nodes, Integer[] draws, String expected) {
    var choice = new PowerOfTwoChoices(SCORER, new Scripted(draws)).choose(nodes, PY);
    assertThat(choice).get().extracting(c -> c.node().nodeId()).isEqualTo(expected);
  }

  @Test
  void noEligibleNodeIsNoChoice() {
    var nodes = List.of(Nodes.calm("x").ready(false).node(), Nodes.calm("y").running(10, 10).node());
    assertThat(new PowerOfTwoChoices(SCORER, new Scripted()).choose(nodes, PY)).isEmpty();
    assertThat(new PowerOfTwoChoices(SCORER, new Scripted()).choose(List.of(), PY)).isEmpty();
  }

  @Test
  void saysWhenEveryEligibleNodeIsPressured() {
    var pressured = List.of(Nodes.calm("a").cpu(90).node(), Nodes.calm("b").memory(0, 10).node(),
        Nodes.calm("c").ready(false).node());
    var choice = new PowerOfTwoChoices(SCORER, new SplittableRandom(1)).choose(pressured, PY).orElseThrow();
    assertThat(choice.allPressured()).isTrue();
    var mixed = List.of(Nodes.calm("a").cpu(90).node(), Nodes.calm("b").node());
    assertThat(new PowerOfTwoChoices(SCORER, new SplittableRandom(1)).choose(mixed, PY).orElseThrow().allPressured())
        .isFalse();
  }

  @Test
  void theWorstNodeIsNeverChosenAndTheBestMostOften() {
    List<NodePressure> nodes = List.of(
        Nodes.calm("best").warm(Map.of("python-dev", 1)).node(),
        Nodes.calm("ok").running(2, 10).node(),
        Nodes.calm("busy").running(6, 10).node(),
        Nodes.calm("worst").running(9, 10).cpu(95).node());
    PowerOfTwoChoices p2c = new PowerOfTwoChoices(SCORER, new SplittableRandom(42));
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 6000; i++) {
      counts.merge(p2c.choose(nodes, PY).orElseThrow().node().nodeId(), 1, Integer::sum);
    }
    // With four nodes the best is in 3 of the 6 pairs (half the picks), the second in 2, the third in 1.
    assertThat(counts).doesNotContainKey("worst");
    assertThat(counts.get("best")).isBetween(2700, 3300);
    assertThat(counts.get("ok")).isBetween(1700, 2300);
    assertThat(counts.get("busy")).isBetween(800, 1200);
  }
}
