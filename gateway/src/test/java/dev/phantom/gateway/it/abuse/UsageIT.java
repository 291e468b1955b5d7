package dev.phantom.gateway.it.abuse;

import static dev.phantom.gateway.it.abuse.Sandboxes.request;
import static dev.phantom.gateway.it.abuse.Sandboxes.seconds;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every result says how the run ended and what it used: status, exit code or signal, wall time, CPU user and
 * system time, peak memory, spawn latency, and output bytes kept and dropped.
 */
class UsageIT {

  private static final String PROFILES = "dev.phantom.gateway.it.abuse.AbuseConfig#profiles";
  private static final long MIB = 1024 * 1024;

  @RegisterExtension
  static final Sandboxes sandboxes = new Sandboxes();

  @ParameterizedTest
  @MethodSource(PROFILES)
  void everyResultSaysHowTheRunEndedAndWhen(String profile) {
    RunResult exited = sandboxes.run(request(profile, "sh", "-c", "exit 3"));
    RunResult timedOut = sandboxes.run(request(profile, "sleep", "30").setTimeout(seconds(1)));

    SoftAssertions softly = new SoftAssertions();
    softly.assertThat(exited.getStatus()).as(Sandboxes.describe(exited)).isEqualTo(RunStatus.RUN_STATUS_OK);
    softly.assertThat(exited.getTerminationCase()).isEqualTo(RunResult.TerminationCase.EXIT_CODE);
    softly.assertThat(exited.getExitCode()).isEqualTo(3);
    softly.assertThat(timedOut.getStatus()).as(Sandboxes.describe(timedOut)).isEqualTo(RunStatus.RUN_STATUS_TIMEOUT);
    softly.assertThat(timedOut.getTerminationCase()).isEqualTo(RunResult.TerminationCase.SIGNAL);
    softly.assertThat(timedOut.getSignal()).isEqualTo(9);
    for (RunResult result : new RunResult[] {exited, timedOut}) {
      softly.assertThat(result.getTimings().getSpawnMicros()).as("spawn_micros").isPositive();
      softly.assertThat(result.getTimings().getWallMicros()).as("wall_micros").isPositive();
      softly.assertThat(result.getTimings().getTotalMicros()).as("total_micros")
          .isGreaterThanOrEqualTo(result.getTimings().getWallMicros());
    }
    softly.assertThat(timedOut.getTimings().getWallMicros()).as("wall time of a 1 s timeout")
        .isBetween(900_000L, 10_000_000L);
    softly.assertAll();
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void everyResultCarriesCpuAndPeakMemory(String profile) {
    RunResult result = sandboxes.run(Sandboxes.python(profile, """
        import time
        block = bytearray(b"\\x01") * (48 << 20)
        end = time.process_time() + 0.3
        while time.process_time() < end:
            pass
        out({"held": len(block)})
        """).setTimeout(seconds(30)));

    SoftAssertions softly = new SoftAssertions();
    softly.assertThat(result.getStatus()).as(Sandboxes.describe(result)).isEqualTo(RunStatus.RUN_STATUS_OK);
    softly.assertThat(result.hasUsage()).as("usage present").isTrue();
    // The loop asks the kernel for the process's CPU time, so it is part user, part system time.
    softly.assertThat(result.getUsage().getCpuUserMicros() + result.getUsage().getCpuSystemMicros())
        .as("cpu user+system micros after 0.3 s of busy loop").isGreaterThanOrEqualTo(200_000L);
    softly.assertThat(result.getUsage().getCpuUserMicros()).as("cpu_user_micros").isPositive();
    softly.assertThat(result.getUsage().getCpuSystemMicros()).as("cpu_system_micros (48 MiB of page faults)")
        .isPositive();
    softly.assertThat(result.getUsage().getPeakMemoryBytes()).as("peak_memory_bytes with 48 MiB held")
        .isGreaterThanOrEqualTo(48 * MIB);
    softly.assertThat(result.hasLimits()).as("limits applied are reported").isTrue();
    softly.assertThat(result.getLimits().getMemoryBytes()).as("limits.memory_bytes").isPositive();
    softly.assertThat(result.getLimits().getPids()).as("limits.pids").isPositive();
    softly.assertAll();
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void outputBytesKeptAndDroppedAreCounted(String profile) {
    RunResult small = sandboxes.run(request(profile, "sh", "-c", "printf 12345; printf 123 >&2"));
    RunResult big = sandboxes.runAllowingLargeResults(request(profile, "sh", "-c",
        "head -c " + 3 * MIB + " /dev/zero; head -c " + 2 * MIB + " /dev/zero >&2").setTimeout(seconds(30)));

    SoftAssertions softly = new SoftAssertions();
    softly.assertThat(small.getStdoutBytes()).as("stdout_bytes of 5 bytes written").isEqualTo(5);
    softly.assertThat(small.getStderrBytes()).as("stderr_bytes of 3 bytes written").isEqualTo(3);
    softly.assertThat(small.getStdoutTruncated()).isFalse();
    softly.assertThat((long) big.getStdout().size()).as("stdout kept").isEqualTo(MIB);
    softly.assertThat(big.getStdoutBytes()).as("stdout_bytes of 3 MiB written").isEqualTo(3 * MIB);
    softly.assertThat((long) big.getStderr().size()).as("stderr kept").isEqualTo(MIB);
    softly.assertThat(big.getStderrBytes()).as("stderr_bytes of 2 MiB written").isEqualTo(2 * MIB);
    softly.assertAll();
  }
}
