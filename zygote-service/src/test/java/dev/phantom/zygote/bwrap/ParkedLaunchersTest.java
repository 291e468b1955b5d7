package dev.phantom.zygote.bwrap;

import static dev.phantom.zygote.bwrap.BwrapLimitsTest.MIB;
import static dev.phantom.zygote.bwrap.BwrapLimitsTest.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phantom.support.testing.SandboxHost;
import dev.phantom.zygote.TestProfiles;
import dev.phantom.zygote.ZygoteConfig;
import dev.phantom.zygote.ZygoteVerticle;
import dev.phantom.zygote.core.ResourceLimits;
import dev.phantom.zygote.core.RunOutcome;
import dev.phantom.zygote.core.RunSpec;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Cold runs started from parked shells (cgroup v1 hosts): sealed and limited exactly like the classic path,
 * never handed to a run once dead, and gone with the launcher.
 */
class ParkedLaunchersTest {

  private Path stateDir;
  private ZygoteVerticle.Setup setup;
  private BwrapLauncher launcher;

  @BeforeEach
  void start() throws Exception {
    SandboxHost.assumeBubblewrap();
    stateDir = Files.createTempDirectory("zygote-parked-");
    setup = ZygoteVerticle.setUp(ZygoteConfig.fromJson(new JsonObject().put("stateDir", stateDir.toString())
        .put("launchers", 2)), "parked-test");
    launcher = setup.launcher();
    assertThat(setup.notReady()).isEmpty();
    if (SandboxHost.mustWork()) {
      assertThat(launcher.cgroups().enforced()).as(launcher.cgroups().describe()).isTrue();
    }
    assumeTrue(launcher.cgroups().parks(), "this host's cgroups do not park groups: " + launcher.cgroups().describe());
    await(() -> launcher.parkedLaunchers() == 2, "two parked launchers");
  }

  @AfterEach
  void stop() {
    if (launcher != null) {
      launcher.close();
    }
    if (setup != null) {
      setup.stateDir().close();
    }
    dev.phantom.support.testing.TempDirs.deleteQuietly(stateDir);
  }

  @Test
  void aColdRunFromAParkedShellIsSealedAndLimitedLikeAnyOther() throws Exception {
    long taken = launcher.parkedLaunchesTaken();
    RunOutcome out = run(new ResourceLimits(64 * MIB, 16, 0, 4 * MIB, 40),
        "sh", "-c", "cat /proc/self/limits; grep -E '^(Uid|CapEff|NoNewPrivs|Seccomp):' /proc/self/status;"
            + " cat /proc/self/cgroup; ls /proc/$$/fd | sed 's/^/fd /'");
    String stdout = text(out.stdout());
    System.out.println("[parked] " + out.status() + "\n" + stdout);
    assertThat(launcher.parkedLaunchesTaken()).as("runs that took a parked shell").isEqualTo(taken + 1);
    assertThat(out.status()).isEqualTo(RunOutcome.Status.OK);
    assertThat(stdout).containsPattern("Max core file size\\s+0\\s+0\\s")
        .containsPattern("Max open files\\s+40\\s+40\\s")
        .containsPattern("Max file size\\s+4194304\\s+4194304\\s")
        .containsPattern("(?m)^Uid:\\s+1000\\s")
        .containsPattern("(?m)^CapEff:\\s+0000000000000000$")
        .containsPattern("(?m)^NoNewPrivs:\\s+1$")
        .containsPattern("(?m)^Seccomp:\\s+2$");
    // bubblewrap made the sandbox's cgroup namespace inside the parked group: the sandbox sees its own
    // group as the root, and nothing of the host's layout.
    assertThat(stdout.lines().filter(l -> l.matches("\\d+:(memory|pids|cpu|cpuacct):.*")))
        .isNotEmpty().allSatisfy(l -> assertThat(l).endsWith(":/"));
    // The script's descriptor (6), the filter's (3) and the block descriptor (5) do not reach the sandbox's
    // first process (listed by a child, so the listing's own descriptor is not among them).
    assertThat(stdout.lines().filter(l -> l.startsWith("fd "))).containsExactly("fd 0", "fd 1", "fd 2");
    assertThat(out.usage().cpuUserMicros() + out.usage().cpuSystemMicros()).isPositive();
  }

  @Test
  void aParkedGroupsLimitsAreTheRunsOwn() throws Exception {
    long taken = launcher.parkedLaunchesTaken();
    RunOutcome oom = run(new ResourceLimits(64 * MIB, 64, 0, 0, 0),
        "sh", "-c", "x=$(head -c 400000000 /dev/zero | tr '\\0' a); echo survived");
    assertThat(oom.status()).isEqualTo(RunOutcome.Status.OOM_KILLED);
    assertThat(oom.usage().peakMemoryBytes()).isLessThanOrEqualTo(64 * MIB);
    RunOutcome bomb = run(new ResourceLimits(256 * MIB, 16, 0, 0, 0),
        "sh", "-c", "for i in $(seq 1 40); do sleep 2 & done; wait; echo done");
    assertThat(text(bomb.stderr())).as("forks beyond pids.max fail").containsIgnoringCase("fork");
    assertThat(launcher.parkedLaunchesTaken()).isEqualTo(taken + 2);
  }

  @Test
  void aParkedShellThatDiedIsNeverHandedARun() throws Exception {
    List<Long> parked = parkedShells();
    assertThat(parked).hasSize(2);
    parked.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    Thread.sleep(200); // dead, not reaped: only the launcher may reap its children
    for (int i = 0; i < 3; i++) {
      RunOutcome out = run(new ResourceLimits(64 * MIB, 16, 0, 0, 0), "echo", "ran " + i);
      assertThat(out.status()).isEqualTo(RunOutcome.Status.OK);
      assertThat(text(out.stdout())).isEqualTo("ran " + i + "\n");
    }
    await(() -> launcher.parkedLaunchers() == 2, "the pool parked again");
    assertThat(parkedShells()).doesNotContainAnyElementsOf(parked);
  }

  @Test
  void moreColdRunsAtOnceThanParkedShellsAllRun() throws Exception {
    List<CompletableFuture<RunOutcome>> outcomes = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      outcomes.add(launcher.launch(TestProfiles.minimal(), spec(new ResourceLimits(64 * MIB, 16, 0, 0, 0),
          "sh", "-c", "sleep 0.2; echo " + i), null).outcome().toCompletableFuture());
    }
    for (int i = 0; i < 6; i++) {
      RunOutcome out = outcomes.get(i).get(60, TimeUnit.SECONDS);
      assertThat(out.status()).isEqualTo(RunOutcome.Status.OK);
      assertThat(text(out.stdout())).isEqualTo(i + "\n");
    }
  }

  @Test
  void closingKillsParkedShellsAndRemovesTheirGroups() throws Exception {
    List<Long> parked = parkedShells();
    assertThat(parked).hasSize(2);
    assertThat(launcher.cgroups().parkedGroupCount()).isEqualTo(2);
    // Parked as the sandbox user, never as the service's root.
    int sandboxUser = BwrapLauncher.runningAsRoot() ? ZygoteConfig.DEFAULT_SANDBOX_UID : (int) new com.sun.security.auth.module.UnixSystem().getUid();
    assertThat(parked).allSatisfy(pid -> assertThat(BwrapLauncherProcesses.uidOf(pid.intValue())).isEqualTo(sandboxUser));
    launcher.close();
    assertThat(parked).allSatisfy(pid -> assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
        .as("parked shell %s alive", pid).isFalse());
    assertThat(launcher.cgroups().parkedGroupCount()).isZero();
    assertThat(launcher.cgroups().groupCount()).isZero();
    launcher = null;
  }

  private RunOutcome run(ResourceLimits limits, String... argv) throws Exception {
    var running = launcher.launch(TestProfiles.minimal(), spec(limits, argv), null);
    RunOutcome outcome = running.outcome().toCompletableFuture().get(60, TimeUnit.SECONDS);
    running.released().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return outcome;
  }

  private static RunSpec spec(ResourceLimits limits, String... argv) {
    return RunSpec.of("parked-" + System.nanoTime(), List.of(argv), Duration.ofSeconds(20), 1 << 20).withLimits(limits);
  }

  /** This JVM's children that are parked shells (their command line names them). */
  private static List<Long> parkedShells() {
    return ProcessHandle.current().children()
        .filter(p -> p.info().arguments().map(a -> List.of(a).contains("phantom-launcher")).orElse(false))
        .map(ProcessHandle::pid).toList();
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
      Thread.sleep(20);
    }
  }
}
