package dev.phantom.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ResourceBoundsTest {

  private final ResourceBounds pids = new ResourceBounds("limits.pids", "processes", 128, 1024);

  @Test
  void zeroMeansTheDefault() {
    assertThat(pids.resolve(0, "p")).isEqualTo(128);
  }

  @Test
  void upToTheMaximumIsKept() {
    assertThat(pids.resolve(1, "p")).isEqualTo(1);
    assertThat(pids.resolve(1024, "p")).isEqualTo(1024);
  }

  @Test
  void aboveTheMaximumIsRefusedNamingFieldAndProfile() {
    assertThatThrownBy(() -> pids.resolve(1025, "strict"))
        .hasMessage("limits.pids 1025 processes is above the maximum of profile 'strict' (1024 processes)");
  }

  @Test
  void aProfileWithoutAMaximumTakesAnyValue() {
    assertThat(new ResourceBounds("x", "u", 5, 0).resolve(1_000_000, "p")).isEqualTo(1_000_000);
    assertThat(new ResourceBounds("x", "u", 5, 0).resolve(0, "p")).isEqualTo(5);
  }

  @Test
  void aDefaultAboveTheMaximumIsCapped() {
    assertThat(new ResourceBounds("x", "u", 50, 10).resolve(0, "p")).isEqualTo(10);
  }
}
