package dev.phantom.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TimeoutPolicyTest {

  @Test
  void unsetMeansTheProfilesDefault() {
    assertThat(TimeoutPolicy.resolve(Optional.empty(), 10_000, 60_000, "p")).isEqualTo(10_000);
  }

  @Test
  void aDefaultAboveTheMaximumIsCapped() {
    assertThat(TimeoutPolicy.resolve(Optional.empty(), 90_000, 60_000, "p")).isEqualTo(60_000);
  }

  @Test
  void withinBoundsIsKept() {
    assertThat(TimeoutPolicy.resolve(Optional.of(Duration.ofMillis(1_500)), 10_000, 60_000, "p")).isEqualTo(1_500);
    assertThat(TimeoutPolicy.resolve(Optional.of(Duration.ofSeconds(60)), 10_000, 60_000, "p")).isEqualTo(60_000);
  }

  @Test
  void aSubMillisecondTimeoutStillGetsOneMillisecond() {
    assertThat(TimeoutPolicy.resolve(Optional.of(Duration.ofNanos(10)), 10_000, 60_000, "p")).isEqualTo(1);
  }

  @Test
  void zeroAndNegativeAreRejected() {
    assertThatThrownBy(() -> TimeoutPolicy.resolve(Optional.of(Duration.ZERO), 10_000, 60_000, "p"))
        .hasMessage("timeout must be positive, got 0s");
    assertThatThrownBy(() -> TimeoutPolicy.resolve(Optional.of(Duration.ofSeconds(-3)), 10_000, 60_000, "p"))
        .hasMessage("timeout must be positive, got -3s");
  }

  @Test
  void aboveTheMaximumIsRejectedNamingTheProfile() {
    assertThatThrownBy(() -> TimeoutPolicy.resolve(Optional.of(Duration.ofMillis(60_001)), 10_000, 60_000, "strict"))
        .hasMessage("timeout 60001ms is above the maximum of profile 'strict' (60s)");
  }
}
