package dev.phantom.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.phantom.orchestrator.core.PoolSizer.PoolSize;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PoolSizerTest {

  private static final PoolSizer.Options OPTIONS = new PoolSizer.Options(
      Duration.ofSeconds(10), 2.0, 0.05, 20, 0.25, Duration.ofMillis(100));

  private final MutableClock clock = new MutableClock();
  private final PoolSizer sizer = new PoolSizer(OPTIONS, clock);

  /** {@code perSecond} requests a second for each profile, evenly, for {@code seconds}. */
  private void feed(String node, int perSecond, int seconds, String... profiles) {
    Duration gap = Duration.ofNanos(1_000_000_000L / perSecond);
    for (int i = 0; i < perSecond * seconds; i++) {
      clock.advance(gap);
      for (String profile : profiles) {
        sizer.observe(node, profile);
      }
    }
  }

  @Test
  void aSteadyStreamReadsItsRateAndAnIdleOneFades() {
    feed("n", 20, 100, "py");
    assertThat(sizer.rate("n", "py")).isCloseTo(20, within(1.0));
    clock.advance(Duration.ofSeconds(10)); // one tau
    assertThat(sizer.rate("n", "py")).isCloseTo(20 / Math.E, within(0.5));
    assertThat(sizer.rate("n", "other")).isZero();
    assertThat(sizer.rate("other", "py")).isZero();
  }

  static Stream<Arguments> sizes() {
    return Stream.of(
        // rate/s, spawn p99 ms, expected size = ceil(rate x p99 x headroom 2), capped at 20; products
        // stay off whole numbers, since the average read right after a request is a little above the rate
        Arguments.of(25, 50, 3),
        Arguments.of(20, 120, 5),
        Arguments.of(50, 200, 20),
        Arguments.of(100, 500, 20),
        Arguments.of(1, 50, 1),
        Arguments.of(2, 0, 1)); // p99 unknown: default refill 100 ms, ceil(0.4) = 1
  }

  @ParameterizedTest(name = "{0}/s with p99 {1} ms -> {2} slots")
  @MethodSource("sizes")
  void sizeFollowsRateTimesRefill(int perSecond, int p99Millis, int expected) {
    feed("n", perSecond, 100, "py");
    var node = Nodes.calm("n").spawnP99(Duration.ofMillis(p99Millis)).node();
    assertThat(sizer.decide(node, Map.of())).containsExactly(new PoolSize("n", "py", expected));
  }

  @Test
  void aProfileNobodyUsesAnyMoreGoesToZeroAndWarmProfilesNeverSeenAreListed() {
    feed("n", 5, 30, "py");
    clock.advance(Duration.ofSeconds(100)); // 5/s x e^-10 ~ 0.0002/s, below the idle rate
    var node = Nodes.calm("n").warm(Map.of("py", 3, "minimal", 2)).node();
    assertThat(sizer.decide(node, Map.of()))
        .containsExactly(new PoolSize("n", "minimal", 0), new PoolSize("n", "py", 0));
  }

  @Test
  void memoryCapsTheSumAndShrinksEveryPoolInProportion() {
    feed("n", 50, 100, "py", "node");
    long slot = 100L << 20;
    // free 2 GiB x 0.25 = 512 MiB for slots, 5 slots of 100 MiB; both want 20 (capped): scale 5/40
    var node = Nodes.calm("n").free(2L << 30).spawnP99(Duration.ofMillis(500)).node();
    var sizes = sizer.decide(node, Map.of("py", slot, "node", slot));
    assertThat(sizes).extracting(PoolSize::size).allSatisfy(size -> assertThat(size).isEqualTo(2));
    assertThat(sizes.stream().mapToLong(s -> s.size() * slot).sum()).isLessThanOrEqualTo((2L << 30) / 4);
  }

  @Test
  void slotsAlreadyWarmKeepTheMemoryTheyHold() {
    feed("n", 50, 100, "py");
    long slot = 100L << 20;
    // no free memory left, but the 6 warm slots already hold 600 MiB: they stay
    var node = Nodes.calm("n").free(0).warm(Map.of("py", 6)).spawnP99(Duration.ofMillis(500)).node();
    assertThat(sizer.decide(node, Map.of("py", slot))).containsExactly(new PoolSize("n", "py", 6));
  }

  @Test
  void otherNodesAndForgottenNodesDoNotCount() {
    feed("a", 50, 20, "py");
    feed("b", 1, 20, "py");
    var b = Nodes.calm("b").spawnP99(Duration.ofMillis(500)).node();
    assertThat(sizer.decide(b, Map.of())).containsExactly(new PoolSize("b", "py", 1));
    sizer.forget("a");
    assertThat(sizer.rate("a", "py")).isZero();
  }
}
