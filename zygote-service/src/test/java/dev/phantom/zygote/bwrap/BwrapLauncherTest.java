package dev.phantom.zygote.bwrap;

import dev.phantom.zygote.ZygoteConfig;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.support.testing.SandboxHost;
import dev.phantom.zygote.TestProfiles;
import dev.phantom.zygote.core.KillReason;
import dev.phantom.zygote.core.OutputSink;
import dev.phantom.zygote.core.RunOutcome;
import dev.phantom.zygote.core.RunSpec;
import dev.phantom.zygote.core.SandboxLauncher;
import dev.phantom.zygote.core.SandboxProfile;
import dev.phantom.zygote.core.Termination;
import dev.phantom.zygote.core.ZygoteException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Component tests against the real bubblewrap of this host. */
class BwrapLauncherTest {

  static final int NOBODY = ZygoteConfig.DEFAULT_SANDBOX_UID;
  static BwrapLauncher launcher;

  @BeforeAll
  static void start() {
    SandboxHost.assumeBubblewrap();
    launcher = new BwrapLauncher(BwrapInstallation.detect(Optional.empty(), BwrapLauncher.runningAsRoot(), "test"),
        NOBODY, NOBODY);
    assertThat(launcher.installation().problem()).isEmpty();
  }

  @AfterAll
  static void stop() {
    if (launcher != null) {
      launcher.close();
    }
  }

  static RunOutcome run(SandboxProfile profile, RunSpec spec) throws Exception {
    return launcher.launch(profile, spec, null).outcome().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static RunSpec spec(List<String> argv) {
    return RunSpec.of("r-" + System.nanoTime(), argv, Duration.ofSeconds(10), 1 << 20);
  }

  static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Test
  void outputAndExitCodeComeBack() throws Exception {
    RunOutcome out = run(TestProfiles.minimal(), spec(List.of("sh", "-c", "echo hello; echo oops >&2; exit 3")));
    assertThat(out.status()).isEqualTo(RunOutcome.Status.OK);
    assertThat(out.termination()).isEqualTo(new Termination.Exited(3));
    assertThat(text(out.stdout())).isEqualTo("hello\n");
    assertThat(text(out.stderr())).isEqualTo("oops\n");
    assertThat(out.spawnMicros()).isPositive();
    assertThat(out.wallMicros()).isPositive();
  }

  @Test
  void profileShapesTheSandbox() throws Exception {
    RunOutcome out = run(TestProfiles.minimal(),
        new RunSpec("r", List.of("sh", "-c", "id -u; id -g; hostname; pwd; echo $EXTRA; ls /"), new byte[0],
            Map.of("EXTRA", "from-request"), Duration.ofSeconds(10), 1 << 20));
    assertThat(text(out.stdout()).lines().toList())
        .startsWith("1000", "1000", "sandbox", "/tmp", "from-request")
        .doesNotContain("root", "home", "work");
  }

  @Test
  void stdinIsDelivered() throws Exception {
    byte[] input = "line one\nline two\n".repeat(10_000).getBytes(StandardCharsets.UTF_8);
    RunOutcome out = run(TestProfiles.minimal(),
        new RunSpec("r", List.of("cat"), input, Map.of(), Duration.ofSeconds(10), 1 << 20));
    assertThat(out.stdout()).isEqualTo(input);
  }

  @Test
  void aCommandThatIgnoresStdinDoesNotBlockTheRun() throws Exception {
    byte[] input = new byte[4 << 20];
    RunOutcome out = run(TestProfiles.minimal(),
        new RunSpec("r", List.of("true"), input, Map.of(), Duration.ofSeconds(10), 1 << 20));
    assertThat(out.status()).isEqualTo(RunOutcome.Status.OK);
    assertThat(out.termination()).isEqualTo(new Termination.Exited(0));
  }

  @Test
  void outputOverTheCapIsTruncatedAndDrained() throws Exception {
    RunOutcome out = run(TestProfiles.minimal(), spec(List.of("head", "-c", "20000000", "/dev/zero")));
    assertThat(out.status()).isEqualTo(RunOutcome.Status.OK);
    assertThat(out.termination()).isEqualTo(new Termination.Exited(0));
    assertThat(out.stdout()).hasSize(1 << 20);
    assertThat(out.stdoutTruncated()).isTrue();
    assertThat(out.stderrTruncated()).isFalse();
  }

  @Test
  void theResultComesAtTheCommandsExitWithAllItsOutputAndItsLeftoversAreKilled() throws Exception {
    // More than a pipe holds, then an orphan that keeps stdout and stderr open: the run ends when the
    // command does, with every byte it wrote, and the orphan does not outlive the sandbox.
    String marker = "1000." + (System.nanoTime() % 1_000_000_000L);
    RunSpec spec = spec(List.of("sh", "-c", "head -c 300000 /dev/zero | tr '\\0' a; echo done >&2; "
        + "(sleep " + marker + " &); exit 4"));
    long before = System.nanoTime();
    RunOutcome out = run(TestProfiles.minimal(), spec);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before)).isLessThan(5000);
    assertThat(out.status()).isEqualTo(RunOutcome.Status.OK);
    assertThat(out.termination()).isEqualTo(new Termination.Exited(4));
    assertThat(text(out.stdout())).hasSize(300_000).matches("a+");
    assertThat(text(out.stderr())).isEqualTo("done\n");
    long deadline = System.currentTimeMillis() + 2000;
    while (!processesMatching(marker).isEmpty() && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertThat(processesMatching(marker)).isEmpty();
  }

  @Test
  void finishedRunsLeaveNoZombieBehind() throws Exception {
    // bubblewrap exits right after reporting the command's exit, before its init has gone: the init comes
    // to this process (a child subreaper) and must be reaped here, or each run pins a pid and a user namespace.
    for (int i = 0; i < 5; i++) {
      assertThat(run(TestProfiles.minimal(), spec(List.of("true"))).termination()).isEqualTo(new Termination.Exited(0));
    }
    assertThat(ZombieChildren.awaitNone("bwrap", 5000)).isEmpty();
  }

  @Test
  void aSandboxsNamespacesAreHeldUntilAfterItsRun() throws Exception {
    // Their teardown then runs after the reply, not in the exit of the sandbox's init (NamespaceHolds).
    HeldNamespaceLinks.checkHeldDuringRunAndReleasedAfter(launcher, TestProfiles.minimal(), false);
  }

  @Test
  void boundedBufferNeverGrowsPastItsLimit() {
    BoundedBuffer buffer = new BoundedBuffer(10_000);
    byte[] chunk = new byte[3000];
    buffer.append(chunk, 3000);
    buffer.append(chunk, 3000);
    buffer.append(chunk, 3000);
    buffer.append(chunk, 1000);
    assertThat(buffer.capacity()).isEqualTo(10_000);
    assertThat(buffer.toByteArray()).hasSize(10_000);
  }

  @Test
  void timeoutKillsTheWholeSandboxIncludingOrphans() throws Exception {
    // A sleep length no other process on the host has marks both sleepers: the double-forked orphan
    // and the shell's own child. (dash has no exec -a, so argv[0] cannot carry a marker.)
    String marker = "1000." + (System.nanoTime() % 1_000_000_000L);
    RunSpec spec = RunSpec.of("r", List.of("sh", "-c", "(sleep " + marker + " &) ; sleep " + marker),
        Duration.ofMillis(1500), 1 << 20);
    long before = System.nanoTime();
    var running = launcher.launch(TestProfiles.minimal(), spec, null);
    long seen = System.currentTimeMillis() + 1200;
    while (processesMatching("sleep\0" + marker).size() < 2 && System.currentTimeMillis() < seen) {
      Thread.sleep(10);
    }
    assertThat(processesMatching("sleep\0" + marker)).as("both sleepers run before the timeout").hasSize(2);
    RunOutcome out = running.outcome().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - before)).isLessThan(5000);
    assertThat(out.status()).isEqualTo(RunOutcome.Status.TIMEOUT);
    assertThat(out.termination()).isEqualTo(new Termination.Signaled(9));
    assertThat(out.message()).contains("1500 ms");
    // The pid namespace dies with bwrap; give the kernel a moment to reap.
    long deadline = System.currentTimeMillis() + 2000;
    while (!processesMatching(marker).isEmpty() && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    // Matching by marker, not by owner: other sandboxes of this host may run as the same user.
    assertThat(processesMatching(marker)).isEmpty();
  }

  @Test
  void sandboxRunsAsAnUnprivilegedHostUser() throws Exception {
    SandboxLauncher.Running running = launcher.launch(TestProfiles.minimal(), spec(List.of("sleep", "5")), null);
    int bwrapPid = ((BwrapRun) running).pid();
    try {
      long deadline = System.currentTimeMillis() + 3000;
      List<Long> sleepers;
      do {
        Thread.sleep(50);
        sleepers = descendants(bwrapPid).stream().filter(p -> command(p).equals("sleep")).toList();
      } while (sleepers.isEmpty() && System.currentTimeMillis() < deadline);
      assertThat(sleepers).hasSize(1);
      if (BwrapLauncher.runningAsRoot()) {
        assertThat(hostUid(bwrapPid)).isEqualTo(NOBODY);
        assertThat(hostUid(sleepers.getFirst())).isEqualTo(NOBODY);
      } else {
        assertThat(hostUid(sleepers.getFirst())).isNotZero();
      }
    } finally {
      running.kill(KillReason.CANCELLED);
    }
    RunOutcome out = running.outcome().toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(out.status()).isEqualTo(RunOutcome.Status.KILLED);
    assertThat(out.message()).contains("cancelled");
  }

  @Test
  void streamedChunksArriveBeforeTheProcessEnds() throws Exception {
    List<String> chunks = new CopyOnWriteArrayList<>();
    AtomicLong firstChunkNanos = new AtomicLong();
    OutputSink sink = (stream, data) -> {
      firstChunkNanos.compareAndSet(0, System.nanoTime());
      chunks.add(stream + ":" + text(data));
    };
    SandboxLauncher.Running running = launcher.launch(TestProfiles.minimal(),
        spec(List.of("sh", "-c", "echo a; sleep 1; echo b >&2")), sink);
    RunOutcome out = running.outcome().toCompletableFuture().get(10, TimeUnit.SECONDS);
    long endNanos = System.nanoTime();
    assertThat(chunks).containsExactly("STDOUT:a\n", "STDERR:b\n");
    assertThat(TimeUnit.NANOSECONDS.toMillis(endNanos - firstChunkNanos.get())).isGreaterThan(700);
    assertThat(out.stdout()).isEmpty();
    assertThat(out.stderr()).isEmpty();
  }

  @Test
  void missingCommandFailsToStartWithBwrapsMessage() throws Exception {
    RunOutcome out = run(TestProfiles.minimal(), spec(List.of("no-such-command-xyz")));
    assertThat(out.status()).isEqualTo(RunOutcome.Status.FAILED_TO_START);
    assertThat(out.message()).contains("execvp no-such-command-xyz", "No such file or directory");
  }

  @Test
  void badMountFailsToStart() throws Exception {
    SandboxProfile base = TestProfiles.minimal();
    List<dev.phantom.zygote.core.Mount> mounts = new ArrayList<>(base.mounts());
    mounts.add(new dev.phantom.zygote.core.Mount.ReadOnlyBind("/does/not/exist", "/x", false));
    SandboxProfile broken = new SandboxProfile("broken", "", base.seccompBpf(), mounts, base.env(), "", "", 0, 0,
        base.limits());
    RunOutcome out = run(broken, spec(List.of("true")));
    assertThat(out.status()).isEqualTo(RunOutcome.Status.FAILED_TO_START);
    assertThat(out.message()).contains("/does/not/exist");
  }

  @Test
  void seccompDenyProgramIsEnforced() throws Exception {
    SandboxProfile deny = TestProfiles.minimal(TestProfiles.DENY_MKDIR);
    RunOutcome denied = run(deny, spec(List.of("mkdir", "/tmp/x")));
    assertThat(denied.termination()).isEqualTo(new Termination.Exited(1));
    assertThat(text(denied.stderr())).contains("Operation not permitted");
    RunOutcome allowed = run(deny, spec(List.of("sh", "-c", "echo fine")));
    assertThat(allowed.termination()).isEqualTo(new Termination.Exited(0));
    assertThat(text(allowed.stdout())).isEqualTo("fine\n");
    RunOutcome unfiltered = run(TestProfiles.minimal(), spec(List.of("mkdir", "/tmp/x")));
    assertThat(unfiltered.termination()).isEqualTo(new Termination.Exited(0));
  }

  @Test
  void noHostDescriptorLeaksIntoTheSandbox() throws Exception {
    RunOutcome out = run(TestProfiles.minimal(), spec(List.of("ls", "/proc/self/fd")));
    // 0-2 and the fd ls opens on the directory itself; nothing of the JVM. With cgroups, bubblewrap 0.8 also
    // leaves its --block-fd (5) open: the read end of a pipe whose write end is closed (see BwrapLimitsTest).
    assertThat(text(out.stdout()).lines().map(Integer::parseInt).toList()).containsOnly(0, 1, 2, 3);
  }

  @Test
  void invalidRequestIsRefusedBeforeSpawning() {
    assertThatThrownBy(() -> launcher.launch(TestProfiles.minimal(), spec(List.of()), null))
        .isInstanceOfSatisfying(ZygoteException.class,
            e -> assertThat(e.reason()).isEqualTo(ZygoteException.Reason.INVALID_REQUEST));
  }

  @Test
  void missingBubblewrapIsReportedWithTheFix() {
    BwrapInstallation missing = BwrapInstallation.detect(Optional.of("/nonexistent/bwrap"), false, "n1");
    assertThat(missing.ready()).isFalse();
    assertThat(missing.problem().orElseThrow())
        .startsWith("bubblewrap is not installed on node n1")
        .endsWith("install it with 'apt-get install -y bubblewrap'");
    try (BwrapLauncher none = new BwrapLauncher(missing, NOBODY, NOBODY)) {
      assertThatThrownBy(() -> none.launch(TestProfiles.minimal(), spec(List.of("true")), null))
          .isInstanceOfSatisfying(ZygoteException.class, e -> {
            assertThat(e.reason()).isEqualTo(ZygoteException.Reason.BUBBLEWRAP_MISSING);
            assertThat(e.getMessage()).contains("apt-get install -y bubblewrap");
          });
    }
  }

  static List<Long> processesMatching(String marker) throws IOException {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().matches("\\d+"))
          .filter(p -> cmdline(p).contains(marker))
          .map(p -> Long.parseLong(p.getFileName().toString()))
          .toList();
    }
  }

  static List<Long> sleepersOwnedBy(int uid) throws IOException {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().matches("\\d+"))
          .map(p -> Long.parseLong(p.getFileName().toString()))
          .filter(pid -> command(pid).equals("sleep") && hostUid(pid) == uid)
          .toList();
    }
  }

  static List<Long> descendants(long pid) {
    return ProcessHandle.of(pid).map(h -> h.descendants().map(ProcessHandle::pid).toList()).orElse(List.of());
  }

  static String cmdline(Path proc) {
    try {
      return Files.readString(proc.resolve("cmdline"), StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return "";
    }
  }

  static String command(long pid) {
    try {
      return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip();
    } catch (IOException e) {
      return "";
    }
  }

  static int hostUid(long pid) {
    try {
      return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
          .filter(l -> l.startsWith("Uid:"))
          .map(l -> Integer.parseInt(l.split("\\s+")[1]))
          .findFirst().orElse(-1);
    } catch (IOException e) {
      return -1;
    }
  }
}
