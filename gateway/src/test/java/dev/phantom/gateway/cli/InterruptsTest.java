package dev.phantom.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class InterruptsTest {

  private long now;

  @Test
  void theSecondPressWithinTheWindowGivesUpAndOnlyThat() {
    Interrupts.Presses presses = new Interrupts.Presses(() -> now);
    assertThat(presses.givesUp()).as("first press: forwarded").isFalse();
    now += TimeUnit.MILLISECONDS.toNanos(Interrupts.GIVE_UP_WITHIN_MS + 500);
    assertThat(presses.givesUp()).as("a press long after: forwarded again").isFalse();
    now += TimeUnit.MILLISECONDS.toNanos(Interrupts.GIVE_UP_WITHIN_MS / 2);
    assertThat(presses.givesUp()).as("a press soon after: gives up").isTrue();
  }

  @Test
  void givingUpExitsAsAShellDoesOnSigint() {
    assertThat(Interrupts.EXIT_INTERRUPTED).isEqualTo(130);
  }
}
