package dev.phantom.zygote.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.support.testing.SandboxHost;
import dev.phantom.zygote.TestProfiles;
import dev.phantom.zygote.ZygoteConfig;
import dev.phantom.zygote.ZygoteVerticle;
import dev.phantom.zygote.bwrap.BwrapLauncher;
import dev.phantom.zygote.bwrap.WarmSlot;
import dev.phantom.zygote.core.Mount;
import dev.phantom.zygote.core.ResourceLimits;
import dev.phantom.zygote.core.RunOutcome;
import dev.phantom.zygote.core.RunSpec;
import dev.phantom.zygote.core.SandboxProfile;
import dev.phantom.zygote.core.SlotAgent;
import dev.phantom.zygote.core.WorkspaceFile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Warm slots against the real bubblewrap, cgroups and workspaces of this host. */
class WarmPoolsTest {

  static final ResourceLimits LIMITS = new ResourceLimits(256L << 20, 64, 0, 0, 0);
  static Path stateDirPath;
  static ZygoteVerticle.Setup setup;
  static BwrapLauncher launcher;
  static WarmPools pools;
  static SandboxProfile shell;
  static SandboxProfile python;
  static SandboxProfile node;
  /** A Python profile whose filter fails mkdir: proves forked slots apply the profile's own filter. */
  static SandboxProfile pythonNoMkdir;

  @BeforeAll
  static void start() throws Exception {
    SandboxHost.assumeBubblewrap();
    stateDirPath = Files.createTempDirectory("zygote-pools-");
    setup = ZygoteVerticle.setUp(ZygoteConfig.fromJson(new JsonObject().put("stateDir", stateDirPath.toString())), "pool-test");
    launcher = setup.launcher();
    shell = withWorkspace("shell");
    python = withWorkspace("python");
    node = withWorkspace("node");
    SandboxProfile p = withWorkspace("python-nomkdir");
    pythonNoMkdir = new SandboxProfile(p.name(), p.digest(), dev.phantom.zygote.TestProfiles.DENY_MKDIR, p.mounts(),
        p.env(), p.hostname(), p.cwd(), p.uid(), p.gid(), p.limits());
    Map<String, SandboxProfile> byName = Map.of("python", python, "node", node, "python-nomkdir", pythonNoMkdir);
    pools = new WarmPools(launcher,
        name -> CompletableFuture.completedFuture(byName.getOrDefault(name, shell)),
        profile -> LIMITS, new HostMemory(), 0.25, 10, new SimpleMeterRegistry());
    pools.start();
  }

  static SandboxProfile withWorkspace(String name) {
    List<Mount> mounts = new ArrayList<>(TestProfiles.MINIMAL_MOUNTS);
    mounts.add(new Mount.Workspace("/workspace", 8L << 20));
    SandboxProfile base = TestProfiles.minimal();
    return new SandboxProfile(name, "sha256:" + name, base.seccompBpf(), mounts, base.env(), "sandbox", "/workspace",
        1000, 1000, base.limits());
  }

  @AfterAll
  static void stop() {
    if (pools != null) {
      pools.close();
    }
    if (launcher != null) {
      launcher.close();
    }
    if (setup != null) {
      setup.stateDir().close();
    }
    dev.phantom.support.testing.TempDirs.deleteQuietly(stateDirPath);
  }

  static void until(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition not met within 30 s").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  /** Waits until nothing is mounted below the workspaces' directory (but the directory itself, if it is a mount). */
  static void untilNoWorkspaceIsMounted() throws InterruptedException {
    java.nio.file.Path workspaces = setup.stateDir().workspaces();
    until(() -> dev.phantom.zygote.workspace.Workspaces.mountsUnder(workspaces).stream().allMatch(workspaces::equals));
  }

  static RunSpec job(String... argv) {
    return RunSpec.of("job-" + System.nanoTime(), List.of(argv), Duration.ofSeconds(20), 1 << 20).withLimits(LIMITS);
  }

  static WarmSlot takeWhenReady(SandboxProfile profile, RunSpec job) throws InterruptedException {
    until(() -> pools.idleByProfile().getOrDefault(profile.name(), 0) > 0);
    return pools.take(profile, job).orElseThrow();
  }

  static RunOutcome runWarm(SandboxProfile profile, RunSpec job) throws Exception {
    WarmSlot slot = takeWhenReady(profile, job);
    byte[] line = slot.handover(job);
    return slot.start(job, line, null).outcome().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static String out(RunOutcome outcome) {
    return new String(outcome.stdout(), StandardCharsets.UTF_8);
  }

  @Test
  void aShellSlotRunsAnyArgvWithItsEnvStdinAndFiles() throws Exception {
    pools.resize("shell", 2, SlotAgent.SHELL);
    RunSpec job = new RunSpec("job-env", List.of("sh", "-c", "echo \"$GREETING $1\"; cat; cat note.txt; pwd; exit 3", "sh",
        "it's\nmultiline"), "stdin-data|".getBytes(StandardCharsets.UTF_8), Map.of("GREETING", "hello 'quoted'"),
        Duration.ofSeconds(20), 1 << 20).withLimits(LIMITS)
        .withWorkspace(List.of(WorkspaceFile.of("note.txt", "from-file|".getBytes(StandardCharsets.UTF_8), 0644)), List.of(), "");
    RunOutcome outcome = runWarm(shell, job);
    assertThat(outcome.status()).isEqualTo(RunOutcome.Status.OK);
    assertThat(out(outcome)).isEqualTo("hello 'quoted' it's\nmultiline\nstdin-data|from-file|/workspace\n");
    assertThat(outcome.termination()).hasToString(new dev.phantom.zygote.core.Termination.Exited(3).toString());
  }

  @Test
  void newlinesInTheEnvironmentAloneReachTheJobIntact() throws Exception {
    pools.resize("shell", 2, SlotAgent.SHELL);
    RunSpec job = new RunSpec("job-nl", List.of("sh", "-c", "printf '%s|' \"$MULTI\""), new byte[0],
        Map.of("MULTI", "first\nsecond"), Duration.ofSeconds(20), 1 << 20).withLimits(LIMITS);
    assertThat(out(runWarm(shell, job))).isEqualTo("first\nsecond|");
  }

  @Test
  void idleSlotsLeaveNoMountOnTheHostYetTakeFilesAndGiveCollectedOnesBack() throws Exception {
    pools.resize("shell", 3, SlotAgent.SHELL);
    until(() -> pools.idleByProfile().getOrDefault("shell", 0) == 3);
    // Each mounted workspace would be copied into, and parsed by, every later bubblewrap start.
    untilNoWorkspaceIsMounted();
    RunSpec job = job("sh", "-c", "cat in/note.txt; echo made > out.txt; ls -ln in/note.txt | cut -d' ' -f3")
        .withWorkspace(List.of(WorkspaceFile.of("in/note.txt", "placed|".getBytes(StandardCharsets.UTF_8), 0644)),
            List.of("out.txt"), "");
    RunOutcome outcome = runWarm(shell, job);
    assertThat(outcome.status()).isEqualTo(RunOutcome.Status.OK);
    assertThat(out(outcome)).isEqualTo("placed|1000\n"); // owned by the sandbox's user, as on the cold path
    assertThat(outcome.files()).singleElement().satisfies(file -> {
      assertThat(file.path()).isEqualTo("out.txt");
      assertThat(new String(file.content(), StandardCharsets.UTF_8)).isEqualTo("made\n");
    });
  }

  @Test
  void withoutALookIntoSandboxesTheirCgroupsTellWhenAWorkspaceCanLeaveTheHost() throws Exception {
    System.setProperty("phantom.zygote.lookIntoSandboxes", "false"); // as without CAP_SYS_PTRACE
    try {
      pools.resize("shell", 0, SlotAgent.SHELL);
      until(() -> pools.idleByProfile().getOrDefault("shell", 0) == 0);
      pools.resize("shell", 3, SlotAgent.SHELL);
      until(() -> pools.idleByProfile().getOrDefault("shell", 0) == 3);
      untilNoWorkspaceIsMounted();
    } finally {
      System.clearProperty("phantom.zygote.lookIntoSandboxes");
    }
    RunSpec job = job("cat", "note.txt")
        .withWorkspace(List.of(WorkspaceFile.of("note.txt", "through the cgroup|".getBytes(StandardCharsets.UTF_8), 0644)),
            List.of(), "");
    assertThat(out(runWarm(shell, job))).isEqualTo("through the cgroup|");
  }

  @Test
  void nothingOfOneJobIsVisibleToTheNext() throws Exception {
    pools.resize("shell", 2, SlotAgent.SHELL);
    RunOutcome first = runWarm(shell, job("sh", "-c",
        "echo secret > /workspace/left; echo secret > /tmp/left; (sleep 30 &) ; export LEAK=1; echo done"));
    assertThat(out(first)).isEqualTo("done\n");
    RunOutcome second = runWarm(shell, job("sh", "-c",
        "ls -A /workspace /tmp; cat /proc/[0-9]*/comm | grep -c sleep; echo \"leak=${LEAK:-none}\"; env | sort"));
    assertThat(out(second)).doesNotContain("left").contains("leak=none").doesNotContain("GREETING");
    assertThat(out(second).lines().filter(l -> l.equals("0")).count()).isEqualTo(1);
  }

  @Test
  void theResultGoesOutAtTheJobsExitWithItsStatusWhateverItLeftRunning() throws Exception {
    pools.resize("shell", 2, SlotAgent.SHELL);
    // Killed by a signal: 128 + the signal, as bubblewrap reports it.
    RunOutcome killed = runWarm(shell, job("sh", "-c", "echo before; kill -9 $$"));
    assertThat(killed.status()).isEqualTo(RunOutcome.Status.OK);
    assertThat(out(killed)).isEqualTo("before\n");
    assertThat(killed.termination()).hasToString(new dev.phantom.zygote.core.Termination.Exited(137).toString());
    // What the job left running holds neither the result (the job's timeout is 20 s) nor the next run back.
    RunOutcome left = runWarm(shell, job("sh", "-c", "sleep 60 & echo started; exit 4"));
    assertThat(left.status()).isEqualTo(RunOutcome.Status.OK);
    assertThat(out(left)).isEqualTo("started\n");
    assertThat(left.termination()).hasToString(new dev.phantom.zygote.core.Termination.Exited(4).toString());
    until(() -> launcher.runningCount() == 0); // killed and released after the reply
  }

  @Test
  void usedSlotsLeaveNoZombieBehind() throws Exception {
    pools.resize("shell", 2, SlotAgent.SHELL);
    for (int i = 0; i < 4; i++) {
      assertThat(runWarm(shell, job("true")).termination()).hasToString(new dev.phantom.zygote.core.Termination.Exited(0).toString());
    }
    assertThat(dev.phantom.zygote.bwrap.ZombieChildren.awaitNone("bwrap", 5000)).isEmpty();
  }

  @Test
  void aMissingCommandFailsToStartAsOnTheColdPath() throws Exception {
    pools.resize("shell", 2, SlotAgent.SHELL);
    RunOutcome outcome = runWarm(shell, job("no-such-command-xyz"));
    assertThat(outcome.status()).isEqualTo(RunOutcome.Status.FAILED_TO_START);
    assertThat(outcome.message()).contains("execvp no-such-command-xyz", "No such file or directory");
  }

  @Test
  void aSlotThatDiedWhileWaitingIsNeverHandedAJob() throws Exception {
    pools.resize("shell", 1, SlotAgent.SHELL);
    until(() -> pools.idlePids("shell").size() == 1);
    int victim = pools.idlePids("shell").getFirst();
    new ProcessBuilder("kill", "-9", Integer.toString(victim)).start().waitFor();
    Thread.sleep(300);
    java.util.Optional<WarmSlot> taken = pools.take(shell, job("true"));
    taken.ifPresent(slot -> assertThat(slot.pid()).isNotEqualTo(victim));
    taken.ifPresent(WarmSlot::discard);
    // The pool refills with a live slot.
    until(() -> !pools.idlePids("shell").isEmpty()
        && !pools.idlePids("shell").contains(victim));
  }

  @Test
  void aPythonSlotRunsPythonInItsStartedInterpreterAndExecsAnythingElse() throws Exception {
    pools.resize("python", 1, SlotAgent.PYTHON);
    RunSpec script = job("python3", "main.py", "arg1").withWorkspace(List.of(
        WorkspaceFile.of("main.py", ("import sys, json, random\nprint(sys.argv, json.dumps({'a': 1}), random.VALUE, __file__, __name__)\n"
            + "print(sys.stdin.read())\nraise SystemExit(4)\n").getBytes(StandardCharsets.UTF_8), 0644),
        // A module of the job's own named like a preloaded one wins, as in a fresh interpreter.
        WorkspaceFile.of("random.py", "VALUE = 'local'\n".getBytes(StandardCharsets.UTF_8), 0644)), List.of(), "");
    script = new RunSpec(script.runId(), script.argv(), "piped".getBytes(StandardCharsets.UTF_8), Map.of(),
        script.timeout(), 1 << 20, LIMITS, script.files(), List.of(), "");
    RunOutcome outcome = runWarm(python, script);
    // As `python3 main.py` has them: an absolute __file__, and the script's frames named by it.
    assertThat(out(outcome)).isEqualTo("['main.py', 'arg1'] {\"a\": 1} local /workspace/main.py __main__\npiped\n");
    assertThat(outcome.termination()).hasToString(new dev.phantom.zygote.core.Termination.Exited(4).toString());

    RunOutcome failing = runWarm(python, job("python3", "-c", "def f():\n    raise ValueError('boom')\nf()"));
    String err = new String(failing.stderr(), StandardCharsets.UTF_8);
    assertThat(err).contains("ValueError: boom", "File \"<string>\", line 3").doesNotContain("phantom-slot");
    assertThat(failing.termination()).hasToString(new dev.phantom.zygote.core.Termination.Exited(1).toString());
    RunOutcome failingScript = runWarm(python, job("python3", "bad.py").withWorkspace(List.of(WorkspaceFile.of("bad.py",
        "\nraise ValueError('boom')\n".getBytes(StandardCharsets.UTF_8), 0644)), List.of(), ""));
    assertThat(new String(failingScript.stderr(), StandardCharsets.UTF_8))
        .startsWith("Traceback (most recent call last):\n  File \"/workspace/bad.py\", line 2, in <module>\n");

    // The end of a job is the interpreter's: threads joined, atexit run, open files flushed, exit status kept.
    RunOutcome ending = runWarm(python, job("python3", "-c", String.join("\n",
        "import atexit, threading, time, sys",
        "f = open('/tmp/left-open', 'w'); f.write('buffered')",
        "atexit.register(lambda: print('atexit ran'))",
        "def late():",
        "    time.sleep(0.2); print('thread done', flush=True)",
        "threading.Thread(target=late).start()",
        "sys.exit('bad thing')")));
    assertThat(out(ending)).isEqualTo("thread done\natexit ran\n");
    assertThat(new String(ending.stderr(), StandardCharsets.UTF_8)).isEqualTo("bad thing\n");
    assertThat(ending.termination()).hasToString(new dev.phantom.zygote.core.Termination.Exited(1).toString());
    RunOutcome flushed = runWarm(python, job("python3", "-c", "import os; f = open(os.dup(1), 'w'); f.write('kept')"));
    assertThat(out(flushed)).isEqualTo("kept");
    // Python slots are forked from the pool's server; their workspace is their own tmpfs, out of the
    // zygote's reach, so a job that collects files takes the cold path.
    until(() -> pools.idleByProfile().getOrDefault("python", 0) > 0);
    assertThat(pools.take(python, job("true").withWorkspace(List.of(), List.of("x"), ""))).isEmpty();

    RunOutcome other = runWarm(python, job("sh", "-c", "echo not python"));
    assertThat(out(other)).isEqualTo("not python\n");
  }

  @Test
  void aNodeSlotRunsNodeScriptsInItsStartedProcessAndOthersAsItsChild() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/node")), "no node on this host");
    pools.resize("node", 1, SlotAgent.NODE);
    RunSpec script = new RunSpec("job-node", List.of("node", "main.js", "a1"), "in".getBytes(StandardCharsets.UTF_8),
        Map.of("GREETING", "hey"), Duration.ofSeconds(20), 1 << 20, LIMITS, List.of(WorkspaceFile.of("main.js",
            ("const fs = require('fs');\n"
                + "console.log(process.argv.slice(2).join(','), process.env.GREETING, process.pid, fs.readFileSync(0, 'utf8'));\n"
                + "process.exitCode = 6;\n").getBytes(StandardCharsets.UTF_8), 0644)), List.of(), "");
    RunOutcome outcome = runWarm(node, script);
    assertThat(out(outcome)).isEqualTo("a1 hey 2 in\n");
    assertThat(outcome.termination()).hasToString(new dev.phantom.zygote.core.Termination.Exited(6).toString());

    RunOutcome other = runWarm(node, job("sh", "-c", "echo child; exit 3"));
    assertThat(out(other)).isEqualTo("child\n");
    assertThat(other.termination()).hasToString(new dev.phantom.zygote.core.Termination.Exited(3).toString());
    RunOutcome missing = runWarm(node, job("no-such-command-xyz"));
    assertThat(missing.status()).isEqualTo(RunOutcome.Status.FAILED_TO_START);
  }

  @Test
  void aPoolLargerThanMemoryAllowsIsRefusedWithTheCeiling() {
    assertThatThrownBy(() -> pools.resize("python", 1_000_000, SlotAgent.PYTHON))
        .isInstanceOf(PoolException.class)
        .hasMessageContaining("does not fit in memory: at most");
  }

  @Test
  void aForkedPythonSlotIsSealedLikeAFreshSandbox() throws Exception {
    pools.resize("python-nomkdir", 1, SlotAgent.PYTHON);
    WarmSlot slot = takeWhenReady(pythonNoMkdir, job("true"));
    assertThat(slot.forked()).as("Python slots come from the pool's fork server").isTrue();
    slot.discard();
    // No capability in any set, no new privileges, the profile's filter; pid 2 under its own init, seeing
    // nothing of the server or other slots; its own hostname, loopback and writable mounts only.
    RunOutcome outcome = runWarm(pythonNoMkdir, job("python3", "-c", String.join("\n",
        "import os, socket",
        "status = dict(l.split(':', 1) for l in open('/proc/self/status'))",
        "print(*(status[k].strip() for k in ('CapEff', 'CapPrm', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp')))",
        "print(os.getpid(), sorted(int(p) for p in os.listdir('/proc') if p.isdigit()), os.getuid())",
        "print(socket.gethostname(), socket.if_nameindex())",
        "for path in ('/x', '/usr/x', '/tmp/x', '/workspace/x'):",
        "    try:",
        "        open(path, 'w').close(); print(path, 'writable')",
        "    except OSError as e:",
        "        print(path, e.errno)",
        "import ctypes",
        "libc = ctypes.CDLL(None, use_errno=True)",
        "print('unshare', libc.unshare(0x10000000))",
        "try:",
        "    os.mkdir('/tmp/d')",
        "except OSError as e:",
        "    print('mkdir', e.errno)")));
    String[] lines = out(outcome).split("\n");
    assertThat(lines[0]).isEqualTo("0000000000000000 0000000000000000 0000000000000000 0000000000000000 1 2");
    assertThat(lines[1]).isEqualTo("2 [1, 2] 1000");
    assertThat(lines[2]).isEqualTo("sandbox [(1, 'lo')]");
    assertThat(lines).contains("/x 30", "/usr/x 30", "/tmp/x writable", "/workspace/x writable", "unshare -1", "mkdir 1");
    pools.resize("python-nomkdir", 0, SlotAgent.PYTHON);
  }

  @Test
  void forkedSlotsShareNothingOfOneJobWithTheNext() throws Exception {
    pools.resize("python", 2, SlotAgent.PYTHON);
    RunOutcome first = runWarm(python, job("sh", "-c",
        "echo secret > /tmp/left; echo secret > /workspace/left; echo x > /dev/shm/left; sleep 30 & echo started"));
    assertThat(out(first)).isEqualTo("started\n");
    RunOutcome second = runWarm(python, job("sh", "-c",
        "ls -A /tmp /workspace /dev/shm; ps -e -o comm= > /tmp/ps; sort /tmp/ps | tr '\\n' ' '"));
    // Its own init (python3), itself and ps: not the first job's sleep.
    assertThat(out(second)).isEqualTo("/dev/shm:\n\n/tmp:\n\n/workspace:\nps python3 sh ");
  }

  @Test
  void aForkedJobsExitIsReportedByItsOwnProcessOnly() throws Exception {
    pools.resize("python", 3, SlotAgent.PYTHON);
    // The agent reports its job's end before the process is torn down; a child the job forked that runs on
    // to the end of the script must not report in its place, and its output is not lost either.
    RunOutcome forked = runWarm(python, job("python3", "-c", "import os, sys, time\n"
        + "pid = os.fork()\n"
        + "if pid == 0:\n    print('child', flush=True)\n    sys.exit(7)\n"
        + "os.waitpid(pid, 0)\nprint('parent')\nsys.exit(3)"));
    assertThat(forked.termination()).isEqualTo(new dev.phantom.zygote.core.Termination.Exited(3));
    assertThat(out(forked)).isEqualTo("child\nparent\n");
    // No report from the agent: os._exit, a signal, or another program exec'd; the exit comes from wait.
    RunOutcome direct = runWarm(python, job("python3", "-c", "import os\nprint('bye', flush=True)\nos._exit(9)"));
    assertThat(direct.termination()).isEqualTo(new dev.phantom.zygote.core.Termination.Exited(9));
    assertThat(out(direct)).isEqualTo("bye\n");
    RunOutcome killed = runWarm(python, job("python3", "-c", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"));
    assertThat(killed.termination()).isEqualTo(new dev.phantom.zygote.core.Termination.Exited(128 + 9));
  }

  @Test
  void aForkedSlotWhoseInitOrServerDiedIsReplacedNeverHandedAJob() throws Exception {
    pools.resize("python", 1, SlotAgent.PYTHON);
    until(() -> pools.idlePids("python").size() == 1);
    int victim = pools.idlePids("python").getFirst();
    new ProcessBuilder("kill", "-9", Integer.toString(victim)).start().waitFor();
    Thread.sleep(300);
    pools.take(python, job("true")).ifPresent(slot -> {
      assertThat(slot.pid()).isNotEqualTo(victim);
      slot.discard();
    });
    until(() -> !pools.idlePids("python").isEmpty() && !pools.idlePids("python").contains(victim));
    // The server's death takes its slots (its pid namespace ends); the pool starts another and refills.
    int server = pools.forkServerPid("python");
    assertThat(server).isPositive();
    new ProcessBuilder("kill", "-9", Integer.toString(server)).start().waitFor();
    Thread.sleep(300);
    until(() -> pools.forkServerPid("python") > 0 && pools.forkServerPid("python") != server
        && pools.idleByProfile().getOrDefault("python", 0) == 1);
    RunOutcome outcome = runWarm(python, job("python3", "-c", "print('after')"));
    assertThat(out(outcome)).isEqualTo("after\n");
  }
}
