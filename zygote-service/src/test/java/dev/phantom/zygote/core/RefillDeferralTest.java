package dev.phantom.zygote.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RefillDeferralTest {

  static Stream<Arguments> cases() {
    return Stream.of(
        // idle, target, jobs running, ms since the last take, waits
        Arguments.of(7, 8, 1, 1, true),     // plenty left and a job runs: refill after it
        Arguments.of(5, 8, 3, 10, true),
        Arguments.of(4, 8, 1, 1, false),    // half or less: at once
        Arguments.of(1, 2, 1, 1, false),    // the default pools of 2 refill at once, as before
        Arguments.of(0, 8, 1, 1, false),
        Arguments.of(7, 8, 0, 1, false),    // nothing runs: the node is quiet
        Arguments.of(7, 8, 1, 50, false),   // a long job (or a slot taken and never started) waits no longer
        Arguments.of(7, 8, 1, 49, true));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void waitsOnlyAboveHalfWhileJobsRunAndNotForLong(int idle, int target, int jobs, long sinceMs, boolean waits) {
    assertThat(RefillDeferral.waits(idle, target, jobs, Duration.ofMillis(sinceMs))).isEqualTo(waits);
  }
}
