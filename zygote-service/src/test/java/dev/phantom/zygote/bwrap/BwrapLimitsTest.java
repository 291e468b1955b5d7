package dev.phantom.zygote.bwrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phantom.support.testing.SandboxHost;
import dev.phantom.zygote.TestProfiles;
import dev.phantom.zygote.ZygoteConfig;
import dev.phantom.zygote.ZygoteVerticle;
import dev.phantom.zygote.core.Mount;
import dev.phantom.zygote.core.ResourceLimits;
import dev.phantom.zygote.core.RunOutcome;
import dev.phantom.zygote.core.RunSpec;
import dev.phantom.zygote.core.SandboxProfile;
import dev.phantom.zygote.core.WorkspaceFile;
import dev.phantom.zygote.core.ZygoteException;
import dev.phantom.zygote.workspace.Workspaces;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Limits, usage, workspaces and cleanup against the real bubblewrap and cgroups of this host. */
class BwrapLimitsTest {

  static final int NOBODY = ZygoteConfig.DEFAULT_SANDBOX_UID;
  static final long MIB = 1 << 20;
  static Path stateDirPath;
  static ZygoteVerticle.Setup setup;
  static BwrapLauncher launcher;

  @BeforeAll
  static void start() throws Exception {
    SandboxHost.assumeBubblewrap();
    stateDirPath = Files.createTempDirectory("zygote-limits-");
    setup = ZygoteVerticle.setUp(config(stateDirPath), "limits-test");
    launcher = setup.launcher();
    assertThat(setup.notReady()).isEmpty();
    if (SandboxHost.mustWork()) {
      assertThat(launcher.cgroups().enforced()).as(launcher.cgroups().describe()).isTrue();
    }
    assumeTrue(launcher.cgroups().enforced(), "no cgroups on this host");
  }

  /** The classic cold path (bubblewrap placed in its group after it started); ParkedLaunchersTest has the other. */
  static ZygoteConfig config(Path stateDir) {
    return ZygoteConfig.fromJson(new JsonObject().put("stateDir", stateDir.toString()).put("launchers", 0));
  }

  @AfterAll
  static void stop() {
    if (launcher != null) {
      launcher.close();
    }
    if (setup != null) {
      setup.stateDir().close();
    }
    dev.phantom.support.testing.TempDirs.deleteQuietly(stateDirPath);
  }

  static SandboxProfile workspaceProfile(long size) {
    List<Mount> mounts = new ArrayList<>(TestProfiles.MINIMAL_MOUNTS);
    mounts.add(new Mount.Workspace("/workspace", size));
    SandboxProfile base = TestProfiles.minimal();
    return new SandboxProfile("ws", "", base.seccompBpf(), mounts, base.env(), "sandbox", "/workspace", 1000, 1000,
        base.limits());
  }

  static RunSpec spec(ResourceLimits limits, long timeoutMs, String... argv) {
    return RunSpec.of("lim-" + System.nanoTime(), List.of(argv), Duration.ofMillis(timeoutMs), 1 << 20).withLimits(limits);
  }

  /** The outcome, once the sandbox is also torn down (which follows the result), so each test starts clean. */
  static RunOutcome run(SandboxProfile profile, RunSpec spec) throws Exception {
    var running = launcher.launch(profile, spec, null);
    RunOutcome outcome = running.outcome().toCompletableFuture().get(60, TimeUnit.SECONDS);
    running.released().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return outcome;
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  static ResourceLimits limits(long memory, int pids, int cpu) {
    return new ResourceLimits(memory, pids, cpu, 0, 0);
  }

  @Test
  void aKilledSandboxsNamespacesAreLetGoToo() throws Exception {
    // Placed in a cgroup, the sandbox waits on its block descriptor: its namespaces are held from its release.
    HeldNamespaceLinks.checkHeldDuringRunAndReleasedAfter(launcher, TestProfiles.minimal(), true);
  }

  @Test
  void everyProcessOfTheSandboxIsInItsCgroup() throws Exception {
    RunOutcome out = run(TestProfiles.minimal(), spec(limits(256 * MIB, 64, 0), 10_000,
        "sh", "-c", "cat /proc/self/cgroup; echo ---; sh -c 'cat /proc/self/cgroup'"));
    System.out.println("[cgroup] inside the sandbox:\n" + text(out.stdout()));
    String[] parts = text(out.stdout()).split("---\n");
    assertThat(parts).hasSize(2);
    for (String part : parts) {
      assertThat(part.lines().filter(l -> l.matches("\\d+:(memory|pids|cpu|cpuacct):.*")))
          .isNotEmpty()
          .allSatisfy(l -> assertThat(l).contains("/run-"));
    }
  }

  @Test
  void rlimitsAreSetSoftAndHardBeforeTheCommandRuns() throws Exception {
    RunOutcome out = run(TestProfiles.minimal(), spec(new ResourceLimits(256 * MIB, 64, 0, 4 * MIB, 50), 10_000,
        "cat", "/proc/self/limits"));
    assertThat(text(out.stdout())).containsPattern("Max core file size\\s+0\\s+0\\s")
        .containsPattern("Max open files\\s+50\\s+50\\s")
        .containsPattern("Max file size\\s+4194304\\s+4194304\\s");
    // Not a multiple of ulimit's 512-byte blocks: set exactly all the same.
    RunOutcome odd = run(TestProfiles.minimal(), spec(new ResourceLimits(256 * MIB, 64, 0, 1000, 0), 10_000,
        "sh", "-c", "cat /proc/self/limits; head -c 1500 /dev/zero > /tmp/big; wc -c < /tmp/big"));
    assertThat(text(odd.stdout())).containsPattern("Max file size\\s+1000\\s+1000\\s").endsWith("\n1000\n");
  }

  @Test
  void memoryLimitEndsInOomKilled() throws Exception {
    RunOutcome out = run(TestProfiles.minimal(), spec(limits(64 * MIB, 64, 0), 30_000,
        "sh", "-c", "x=$(head -c 400000000 /dev/zero | tr '\\0' a); echo survived"));
    System.out.println("[oom] " + out.status() + " " + out.termination() + " " + out.message() + " " + out.usage());
    assertThat(out.status()).isEqualTo(RunOutcome.Status.OOM_KILLED);
    assertThat(text(out.stdout())).doesNotContain("survived");
    assertThat(out.message()).contains("OOM killer");
    assertThat(out.usage().peakMemoryBytes()).isGreaterThan(32 * MIB).isLessThanOrEqualTo(64 * MIB);
    assertThat(out.limits().memoryBytes()).isEqualTo(64 * MIB);
  }

  @Test
  void peakMemoryCoversWhatWasAllocated() throws Exception {
    RunOutcome out = run(TestProfiles.minimal(), spec(limits(512 * MIB, 64, 0), 30_000,
        "python3", "-c", "b = b'a' * (100 << 20); print(len(b))"));
    System.out.println("[peak] " + out.usage());
    assertThat(out.status()).isEqualTo(RunOutcome.Status.OK);
    assertThat(out.usage().peakMemoryBytes()).isGreaterThanOrEqualTo(100 * MIB);
  }

  @Test
  void forkBombIsHeldByPidsMaxAndLeavesNothing() throws Exception {
    int groupsBefore = launcher.cgroups().groupCount();
    long hostPidsBefore = countProcesses();
    List<Long> nobodyBefore = processesOf(NOBODY, null);
    RunOutcome out = run(TestProfiles.minimal(), spec(limits(256 * MIB, 32, 0), 2_000,
        "sh", "-c", ":(){ :|:& };:"));
    System.out.println("[forkbomb] " + out.status() + " host processes before " + hostPidsBefore + ", after "
        + countProcesses() + " " + out.usage());
    assertThat(out.status()).isIn(RunOutcome.Status.TIMEOUT, RunOutcome.Status.OK);
    assertThat(launcher.cgroups().groupCount()).isEqualTo(groupsBefore);
    assertThat(processesOf(NOBODY, nobodyBefore)).isEmpty();
    // The host can still start processes.
    assertThat(new ProcessBuilder("true").start().waitFor()).isZero();
  }

  @Test
  void cpuLimitStretchesWallTime() throws Exception {
    String busy = "import time\nt = time.process_time()\nwhile time.process_time() - t < 1: pass\n";
    long t0 = System.nanoTime();
    RunOutcome out = run(TestProfiles.minimal(), spec(limits(256 * MIB, 64, 200), 30_000, "python3", "-c", busy));
    long wallMicros = (System.nanoTime() - t0) / 1000;
    System.out.printf("[cpu] 1 s of CPU at 200 millicores: wall %.2f s, user %.2f s, system %.2f s%n",
        wallMicros / 1e6, out.usage().cpuUserMicros() / 1e6, out.usage().cpuSystemMicros() / 1e6);
    assertThat(out.status()).isEqualTo(RunOutcome.Status.OK);
    assertThat(out.usage().cpuUserMicros()).isPositive();
    assertThat(out.usage().cpuUserMicros()).isLessThanOrEqualTo((long) (wallMicros * 0.5));
  }

  @Test
  void outputTotalsCountDroppedBytes() throws Exception {
    RunOutcome out = run(TestProfiles.minimal(), spec(limits(256 * MIB, 64, 0), 10_000,
        "sh", "-c", "head -c 3000000 /dev/zero; echo abc >&2"));
    assertThat(out.stdout()).hasSize(1 << 20);
    assertThat(out.stdoutBytes()).isEqualTo(3_000_000);
    assertThat(out.stderrBytes()).isEqualTo(4);
  }

  @Test
  void workspaceFilesGoInAndComeOut() throws Exception {
    RunSpec spec = spec(limits(256 * MIB, 64, 0), 10_000, "sh", "-c",
        "cat in/a.txt; echo; stat -c '%a %u' in/a.txt run.sh; ./run.sh; echo made > out.txt; mkdir -p d; echo deep > d/e;"
            + " ln -s /etc/hostname link; head -c 100 /dev/zero > big")
        .withWorkspace(List.of(WorkspaceFile.of("in/a.txt", "hello".getBytes(), 0),
            WorkspaceFile.of("/workspace/run.sh", "#!/bin/sh\necho ran\n".getBytes(), 0755)),
            List.of("out.txt", "/workspace/d/e", "link", "missing", "in", "in/a.txt"), "");
    RunOutcome out = run(workspaceProfile(8 * MIB), spec);
    System.out.println("[workspace] " + text(out.stdout()) + text(out.stderr()));
    assertThat(text(out.stdout()).lines().toList()).containsExactly("hello", "644 1000", "755 1000", "ran");
    assertThat(out.files()).extracting(WorkspaceFile::path)
        .containsExactly("out.txt", "/workspace/d/e", "link", "missing", "in", "in/a.txt");
    assertThat(text(out.files().get(0).content())).isEqualTo("made\n");
    assertThat(out.files().get(0).error()).isEmpty();
    assertThat(text(out.files().get(1).content())).isEqualTo("deep\n");
    assertThat(out.files().get(2).error()).contains("symbolic link");
    assertThat(out.files().get(2).content()).isEmpty();
    assertThat(out.files().get(3).error()).isEqualTo("missing");
    assertThat(out.files().get(4).error()).contains("not a regular file");
    assertThat(text(out.files().get(5).content())).isEqualTo("hello");
  }

  @Test
  void aSymlinkedDirectoryIsNeverFollowedWhenCollecting() throws Exception {
    RunSpec spec = spec(limits(256 * MIB, 64, 0), 10_000, "sh", "-c", "ln -s /etc etcdir")
        .withWorkspace(List.of(), List.of("etcdir/hostname"), "");
    RunOutcome out = run(workspaceProfile(8 * MIB), spec);
    assertThat(out.files()).hasSize(1);
    assertThat(out.files().getFirst().error()).contains("symbolic link");
    assertThat(out.files().getFirst().content()).isEmpty();
  }

  @Test
  void workspaceIsCappedInSize() throws Exception {
    assumeTrue(BwrapLauncher.runningAsRoot(), "tmpfs workspaces need root");
    RunOutcome out = run(workspaceProfile(4 * MIB), spec(limits(256 * MIB, 64, 0), 10_000,
        "sh", "-c", "head -c 8000000 /dev/zero > fill; echo rc=$?"));
    assertThat(text(out.stderr())).contains("No space left on device");
    assertThat(text(out.stdout())).contains("rc=1");
  }

  @Test
  void pathsLeavingTheWorkspaceAreRefusedBeforeAnythingIsMade() throws Exception {
    long dirsBefore = countEntries(setup.stateDir().workspaces());
    for (String bad : List.of("../x", "/etc/passwd", "a/../../x", "", "dir/", "/workspacex/a")) {
      RunSpec spec = spec(ResourceLimits.NONE, 10_000, "true")
          .withWorkspace(List.of(WorkspaceFile.of(bad, new byte[1], 0)), List.of(), "");
      assertThatThrownBy(() -> launcher.launch(workspaceProfile(MIB), spec, null))
          .as(bad)
          .isInstanceOfSatisfying(ZygoteException.class,
              e -> assertThat(e.reason()).isEqualTo(ZygoteException.Reason.INVALID_REQUEST));
    }
    RunSpec collectBad = spec(ResourceLimits.NONE, 10_000, "true").withWorkspace(List.of(), List.of("../etc"), "");
    assertThatThrownBy(() -> launcher.launch(workspaceProfile(MIB), collectBad, null))
        .isInstanceOf(ZygoteException.class);
    assertThat(countEntries(setup.stateDir().workspaces())).isEqualTo(dirsBefore);
  }

  @Test
  void fiftyRunsLeaveNoCgroupMountDirOrProcess() throws Exception {
    int groups = launcher.cgroups().groupCount();
    int mounts = Workspaces.mountsUnder(stateDirPath.toRealPath()).size();
    long dirs = countEntries(setup.stateDir().workspaces());
    List<Long> nobodyBefore = processesOf(NOBODY, null);
    for (int i = 0; i < 50; i++) {
      RunSpec spec = spec(limits(64 * MIB, 16, 500), 5_000, "sh", "-c", "(sleep 30 &) ; echo x > f; exit " + (i % 3))
          .withWorkspace(List.of(WorkspaceFile.of("in", "x".getBytes(), 0)), List.of("f"), "");
      RunOutcome out = run(workspaceProfile(MIB), spec);
      assertThat(out.status()).isEqualTo(RunOutcome.Status.OK);
      assertThat(text(out.files().getFirst().content())).isEqualTo("x\n");
    }
    // Cleanup finishes just after each outcome (the caller does not wait for it).
    long deadline = System.currentTimeMillis() + 5_000;
    while (launcher.runningCount() > 0 && System.currentTimeMillis() < deadline) {
      Thread.sleep(10);
    }
    assertThat(launcher.cgroups().groupCount()).isEqualTo(groups);
    assertThat(Workspaces.mountsUnder(stateDirPath.toRealPath())).hasSize(mounts);
    assertThat(countEntries(setup.stateDir().workspaces())).isEqualTo(dirs);
    assertThat(processesOf(NOBODY, nobodyBefore)).isEmpty();
  }

  static long countEntries(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.count();
    }
  }

  static long countProcesses() throws IOException {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().matches("\\d+")).count();
    }
  }

  /**
   * Processes of a host uid, except those in {@code existing} (other tests on this host may run sandboxes
   * as the same uid; null takes the baseline without waiting); only meaningful when the service is root and sandboxes run as that uid.
   */
  /**
   * True for a zombie (no longer runs anything; whether this JVM reaps its own is checked with {@link
   * ZombieChildren}), or a process below another JVM: a build running beside this one (another zygote, its
   * warm slots) is not what this test counts. Ours, and anything that escaped to init, still count.
   */
  static boolean ofAnotherJvm(long pid) {
    long self = ProcessHandle.current().pid();
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z")) {
        return true;
      }
      for (var p = ProcessHandle.of(pid).flatMap(ProcessHandle::parent); p.isPresent(); p = p.get().parent()) {
        if (p.get().pid() == self) {
          return false;
        }
        if (p.get().info().command().map(c -> c.endsWith("/java")).orElse(false)) {
          return true;
        }
      }
    } catch (IOException | RuntimeException e) {
      return true; // gone while it was looked at
    }
    return false;
  }

  static List<Long> processesOf(int uid, List<Long> existing) throws IOException {
    if (!BwrapLauncher.runningAsRoot()) {
      return List.of();
    }
    long deadline = System.currentTimeMillis() + 2000;
    boolean baseline = existing == null;
    List<Long> known = baseline ? List.of() : existing;
    List<Long> found;
    do {
      try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
        found = procs.filter(p -> p.getFileName().toString().matches("\\d+"))
            .map(p -> Long.parseLong(p.getFileName().toString()))
            .filter(pid -> BwrapLauncherTest.hostUid(pid) == uid && !known.contains(pid) && !ofAnotherJvm(pid))
            .toList();
      }
    } while (!baseline && !found.isEmpty() && System.currentTimeMillis() < deadline);
    return found;
  }

}
