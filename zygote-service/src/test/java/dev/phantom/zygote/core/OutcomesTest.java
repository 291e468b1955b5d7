package dev.phantom.zygote.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class OutcomesTest {

  private static final BwrapStatus RAN = new BwrapStatus(OptionalInt.of(10), OptionalInt.of(3));
  private static final BwrapStatus SETUP_DIED = new BwrapStatus(OptionalInt.of(10), OptionalInt.empty());
  private static final Termination SIGKILLED = new Termination.Signaled(9);

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("exit 3", null, new Termination.Exited(3), RAN, "", RunOutcome.Status.OK, ""),
        Arguments.of("timeout", KillReason.TIMEOUT, SIGKILLED, SETUP_DIED, "", RunOutcome.Status.TIMEOUT, "timeout of 1500 ms"),
        Arguments.of("cancel", KillReason.CANCELLED, SIGKILLED, SETUP_DIED, "", RunOutcome.Status.KILLED, "cancelled"),
        Arguments.of("shutdown", KillReason.SHUTDOWN, SIGKILLED, BwrapStatus.NONE, "", RunOutcome.Status.KILLED, "stopping"),
        Arguments.of("kill raced with exit", KillReason.TIMEOUT, new Termination.Exited(3), RAN, "", RunOutcome.Status.OK, ""),
        Arguments.of("missing command", null, new Termination.Exited(1), SETUP_DIED,
            "bwrap: execvp nosuch: No such file or directory\n", RunOutcome.Status.FAILED_TO_START,
            "bwrap: execvp nosuch: No such file or directory"),
        Arguments.of("bad mount", null, new Termination.Exited(1), BwrapStatus.NONE,
            "bwrap: Can't find source path /nonexist: No such file or directory\n", RunOutcome.Status.FAILED_TO_START,
            "Can't find source path /nonexist"),
        Arguments.of("command prints a bwrap-like line but ran", null, new Termination.Exited(1),
            new BwrapStatus(OptionalInt.of(10), OptionalInt.of(1)), "bwrap: execvp x: y\n", RunOutcome.Status.OK, ""),
        Arguments.of("killed from outside", null, SIGKILLED, SETUP_DIED, "", RunOutcome.Status.KILLED, "signal 9"),
        Arguments.of("setup failure without message", null, new Termination.Exited(1), BwrapStatus.NONE, "",
            RunOutcome.Status.FAILED_TO_START, "exited with code 1 before the command ran"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void classify(String name, KillReason killedBy, Termination bwrap, BwrapStatus status, String stderr,
      RunOutcome.Status expected, String messagePart) {
    Outcomes.Verdict verdict = Outcomes.classify(killedBy, bwrap, status, stderr.getBytes(StandardCharsets.UTF_8),
        Duration.ofMillis(1500));
    assertThat(verdict.status()).isEqualTo(expected);
    assertThat(verdict.message()).contains(messagePart);
  }
}
