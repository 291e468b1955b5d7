package dev.phantom.gateway.it.abuse;

import static dev.phantom.gateway.it.abuse.Sandboxes.request;
import static dev.phantom.gateway.it.abuse.Sandboxes.seconds;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.api.v1.ResourceLimits;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import io.vertx.core.json.JsonObject;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Wall clock, memory, pids, output and scratch-space limits hold, and leave nothing behind. */
class LimitsIT {

  private static final String PROFILES = "dev.phantom.gateway.it.abuse.AbuseConfig#profiles";
  private static final long MIB = 1024 * 1024;
  private static final long GIB = 1024 * MIB;
  /** Every built-in profile's maxOutput. */
  private static final long OUTPUT_CAP = MIB;

  @RegisterExtension
  static final Sandboxes sandboxes = new Sandboxes();

  @ParameterizedTest
  @MethodSource(PROFILES)
  void theTimeoutKillsTheWholeSandboxOrphansIncluded(String profile) throws Exception {
    // A fractional sleep unique to this test marks the orphan too, whose environment is the only other mark.
    String sleep = "300." + ThreadLocalRandom.current().nextInt(100_000, 999_999);
    String mark = Sandboxes.newMark();
    long start = System.nanoTime();
    RunResult result = sandboxes.run(request(profile, "sh", "-c",
        "(sleep " + sleep + " &) ; (sh -c 'sleep " + sleep + "' &) ; sleep " + sleep)
        .putEnv(Sandboxes.MARK_VAR, mark).setTimeout(seconds(1)));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(result.getStatus()).as(Sandboxes.describe(result)).isEqualTo(RunStatus.RUN_STATUS_TIMEOUT);
    assertThat(took).as("the run ended at its timeout, not with its orphans").isLessThan(Duration.ofSeconds(10));
    assertThat(HostView.awaitNoProcessWith(sleep, Duration.ofSeconds(2))).as("processes left with the sleep")
        .isEmpty();
    assertThat(HostView.awaitNoProcessWith(mark, Duration.ofSeconds(2))).as("processes left with the mark")
        .isEmpty();
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void theMemoryLimitEndsInOomKilled(String profile) {
    RunResult result = sandboxes.run(Sandboxes.python(profile, """
        block = bytearray(b"\\x01") * (200 << 20)
        out({"allocated": len(block)})
        """).setLimits(ResourceLimits.newBuilder().setMemoryBytes(64 * MIB)).setTimeout(seconds(30)));

    assertThat(result.getStatus()).as(Sandboxes.describe(result)).isEqualTo(RunStatus.RUN_STATUS_OOM_KILLED);
    assertThat(result.getStdout().toStringUtf8()).doesNotContain("allocated");
    assertThat(result.getLimits().getMemoryBytes()).as("limits applied").isEqualTo(64 * MIB);
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void thePidsLimitHoldsAForkBomb(String profile) throws Exception {
    ResourceLimits pids = ResourceLimits.newBuilder().setPids(32).build();
    // First a bounded bomb that counts: without a limit it stops at 200 children instead of taking the host.
    JsonObject counted = Sandboxes.json(sandboxes.run(Sandboxes.python(profile, """
        import time
        children, error = [], None
        for i in range(200):
            try:
                pid = os.fork()
            except OSError as e:
                error = err(e)
                break
            if pid == 0:
                time.sleep(30)
                os._exit(0)
            children.append(pid)
        for pid in children:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        out({"forked": len(children), "error": error})
        """).setLimits(pids).setTimeout(seconds(30))));
    assertThat(counted.getInteger("forked")).as("children forked under pids=32: %s", counted).isLessThan(32);
    assertThat(counted.getString("error")).as("why fork failed").isEqualTo("EAGAIN");

    // Then the real thing, now that the limit is known to hold.
    String mark = Sandboxes.newMark();
    RunResult bomb = sandboxes.run(request(profile, "sh", "-c", "b() { b | b & }; b; sleep 5")
        .putEnv(Sandboxes.MARK_VAR, mark).setLimits(pids).setTimeout(seconds(3)));
    assertThat(bomb.getStatus()).as(Sandboxes.describe(bomb)).isIn(RunStatus.RUN_STATUS_OK, RunStatus.RUN_STATUS_TIMEOUT);
    assertThat(bomb.getLimits().getPids()).as("limits applied").isEqualTo(32);

    Process hostSpawn = new ProcessBuilder("true").start();
    assertThat(hostSpawn.waitFor(10, TimeUnit.SECONDS)).as("the host can still spawn").isTrue();
    assertThat(hostSpawn.exitValue()).isZero();
    RunResult after = sandboxes.run(request(profile, "echo", "still here"));
    assertThat(after.getStdout().toStringUtf8()).as(Sandboxes.describe(after)).isEqualTo("still here\n");
    assertThat(HostView.awaitNoProcessWith(mark, Duration.ofSeconds(3))).as("processes left by the bomb").isEmpty();
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void aGibibyteOfStdoutIsCappedWithoutGrowingTheServicesHeap(String profile) throws Exception {
    // Warm the paths that carry a full 1 MiB result, so that their one-time allocations are not counted.
    sandboxes.runAllowingLargeResults(request(profile, "head", "-c", Long.toString(2 * MIB), "/dev/zero"));
    long before = usedHeapAfterGc();
    List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(pool -> pool.getType() == MemoryType.HEAP && pool.isUsageThresholdSupported()).toList();
    heapPools.forEach(MemoryPoolMXBean::resetPeakUsage);
    long tenuredBefore = heapPools.stream().mapToLong(pool -> pool.getUsage().getUsed()).sum();

    RunResult result = sandboxes.runAllowingLargeResults(request(profile, "head", "-c", Long.toString(GIB), "/dev/zero")
        .setTimeout(seconds(45)));

    long tenuredPeak = heapPools.stream().mapToLong(pool -> pool.getPeakUsage().getUsed()).sum();
    long after = usedHeapAfterGc();
    assertThat(result.getStatus()).as(Sandboxes.describe(result))
        .isIn(RunStatus.RUN_STATUS_OK, RunStatus.RUN_STATUS_TIMEOUT);
    assertThat((long) result.getStdout().size()).as("stdout kept").isEqualTo(OUTPUT_CAP);
    assertThat(result.getStdoutTruncated()).as("stdout_truncated").isTrue();
    assertThat(after - before).as("heap growth after GC across the run, bytes").isLessThan(8 * MIB);
    assertThat(tenuredPeak - tenuredBefore).as("old generation peak growth during the run, bytes")
        .isLessThan(128 * MIB);
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void tmpIsSizeCapped(String profile) {
    assertScratchIsCapped(profile, "/tmp");
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void workspaceIsSizeCapped(String profile) {
    assertScratchIsCapped(profile, "/workspace");
  }

  /**
   * Writes up to 1 GiB of zeros in 8 MiB files (each under the file-size rlimit, so that only the
   * filesystem's cap can stop it); a size-capped tmpfs stops it with ENOSPC well before.
   */
  private static void assertScratchIsCapped(String profile, String dir) {
    RunResult result = sandboxes.run(request(profile, "sh", "-c",
        "i=0; while head -c 8388608 /dev/zero > " + dir + "/fill$i; do i=$((i+1)); [ $i -ge 128 ] && break; done; "
            + "echo \"files=$i\"; cat " + dir + "/fill* | wc -c; rm -f " + dir + "/fill*").setTimeout(seconds(60)));

    List<String> lines = result.getStdout().toStringUtf8().lines().toList();
    assertThat(result.getStderr().toStringUtf8()).as("filling %s (%s)", dir, Sandboxes.describe(result))
        .contains("No space left on device");
    assertThat(lines).as("files written and bytes that fit").hasSize(2);
    assertThat(lines.get(0)).isNotEqualTo("files=128");
    assertThat(Long.parseLong(lines.get(1).trim())).as("bytes that fit in %s", dir).isPositive().isLessThan(GIB);
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }
}
