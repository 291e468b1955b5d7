package dev.phantom.zygote.bwrap;

import dev.phantom.support.process.NativeStrings;
import dev.phantom.support.trace.StageTrace;
import dev.phantom.zygote.core.BwrapArgs;
import dev.phantom.zygote.core.ForkRequest;
import dev.phantom.zygote.core.KillReason;
import dev.phantom.zygote.core.Mount;
import dev.phantom.zygote.core.OutputSink;
import dev.phantom.zygote.core.RunSpec;
import dev.phantom.zygote.core.SandboxCgroups;
import dev.phantom.zygote.core.SandboxLauncher;
import dev.phantom.zygote.core.SandboxProfile;
import dev.phantom.zygote.core.SlotAgent;
import dev.phantom.zygote.core.WorkspaceFile;
import dev.phantom.zygote.core.WorkspacePaths;
import dev.phantom.zygote.core.ZygoteException;
import dev.phantom.zygote.workspace.Workspaces;
import java.util.Optional;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntSupplier;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Spawns {@code bwrap} with posix_spawn, passing the seccomp program on fd 3 and reading bubblewrap's JSON
 * status from fd 4. When the service runs as root, bubblewrap is started as an unprivileged host user (the
 * spawning thread takes that user's ids for the spawn, {@link ThreadCredentials}, or else through {@code
 * setpriv}), so that root inside the sandbox is never root on the host.
 *
 * <p>Threads: {@link #launch} blocks for the spawn only. Each run then uses platform threads (never
 * virtual: blocking native reads would pin the few carrier threads) for stdout, stderr, the status fd,
 * stdin when non-empty, and the wait; plus one shared timer thread for timeouts.
 */
public final class BwrapLauncher implements SandboxLauncher, AutoCloseable {

  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(BwrapLauncher.class.getName());

  /** Read size per native read call. */
  static final int CHUNK = 64 * 1024;

  private final BwrapInstallation installation;
  private final List<String> prefix;
  /** setpriv and its arguments when the service is root, else empty: what makes a process the sandbox user. */
  private final List<String> dropPrivileges;
  /** When present, {@link #spawn} makes its process the sandbox user itself and leaves setpriv out. */
  private final Optional<ThreadCredentials> credentials;
  private final int sandboxUid;
  private final int sandboxGid;
  private final LibC libc = LibC.get();
  // Reused threads: creating four platform threads per run cost about a millisecond on a busy host, as
  // much as a warm slot's whole run.
  private final ExecutorService io = new java.util.concurrent.ThreadPoolExecutor(0, Integer.MAX_VALUE, 60,
      TimeUnit.SECONDS, new java.util.concurrent.SynchronousQueue<>(),
      Thread.ofPlatform().name("zygote-io-", 0).daemon(true).stackSize(256 * 1024).factory());
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("zygote-timer").daemon(true).factory());
  private final Set<BwrapRun> running = ConcurrentHashMap.newKeySet();
  private final OrphanReaper orphans;
  private final NamespaceHolds namespaces;
  private final SandboxCgroups cgroups;
  private final Workspaces workspaces;
  /**
   * prlimit(1); present when this process cannot prlimit(2) the sandbox's first process (as root without
   * CAP_SYS_RESOURCE, a process of another uid is out of reach), and then the command line starts with a
   * program that lowers its own rlimits: {@code sh -c 'ulimit ...'}, or prlimit(1) for what ulimit cannot say.
   */
  private final Optional<java.nio.file.Path> prlimitCommand;
  private volatile ParkedLaunchers parked;
  /** One-shot runs (cold or warm) whose command has not ended yet. */
  private final java.util.concurrent.atomic.AtomicInteger commandsRunning = new java.util.concurrent.atomic.AtomicInteger();

  /** Collected files: at most this much each (and the profile's output cap in total). */
  public static final long MAX_COLLECT_EACH = 1 << 20;

  /**
   * Without cgroups or workspaces: limits are not enforced and workspace mounts are plain directories.
   *
   * @param sandboxUid host uid bubblewrap runs as when this process is root
   * @param sandboxGid host gid bubblewrap runs as when this process is root
   */
  public BwrapLauncher(BwrapInstallation installation, int sandboxUid, int sandboxGid) {
    this(installation, sandboxUid, sandboxGid, SandboxCgroups.NONE, null);
  }

  /**
   * @param cgroups per-sandbox groups ({@link SandboxCgroups#NONE} to run unlimited)
   * @param workspaces where fresh workspaces are made; null makes workspace mounts plain in-sandbox dirs
   */
  public BwrapLauncher(BwrapInstallation installation, int sandboxUid, int sandboxGid, SandboxCgroups cgroups,
      Workspaces workspaces) {
    this.installation = installation;
    this.cgroups = cgroups;
    this.workspaces = workspaces;
    List<String> p = new ArrayList<>();
    if (runningAsRoot() && installation.setpriv().isPresent()) {
      p.addAll(List.of(installation.setpriv().get().toString(), "--reuid=" + sandboxUid, "--regid=" + sandboxGid,
          "--clear-groups", "--"));
    }
    this.dropPrivileges = List.copyOf(p);
    this.sandboxUid = sandboxUid;
    this.sandboxGid = sandboxGid;
    this.credentials = dropPrivileges.isEmpty() ? Optional.empty() : ThreadCredentials.forSandboxUser(sandboxUid, sandboxGid);
    installation.bwrap().ifPresent(b -> p.add(b.toString()));
    this.prefix = List.copyOf(p);
    this.prlimitCommand = runningAsRoot() && !hasCapSysResource() ? BwrapInstallation.onPath("prlimit") : Optional.empty();
    this.orphans = new OrphanReaper(libc, runningAsRoot() ? sandboxUid : LibC.get().getuid(), timer);
    this.namespaces = new NamespaceHolds(libc, timer, io);
  }

  /** True when the service process is root and bubblewrap must be started as another user. */
  public static boolean runningAsRoot() {
    return LibC.get().geteuid() == 0;
  }

  public BwrapInstallation installation() {
    return installation;
  }

  /** The full command line of a run, from the setpriv or bwrap path to the command's last argument. */
  public List<String> commandLine(SandboxProfile profile, RunSpec run) {
    return commandLine(profile, run, "", false);
  }

  List<String> commandLine(SandboxProfile profile, RunSpec run, String workspaceDir, boolean block) {
    return commandLine(profile, run, workspaceDir, block, false);
  }

  private List<String> commandLine(SandboxProfile profile, RunSpec run, String workspaceDir, boolean block,
      boolean forkServer) {
    List<String> argv = new ArrayList<>();
    if (block && prlimitCommand.isPresent()) {
      // rlimits survive exec and setuid: set on this wrapper, they reach bwrap and everything it starts.
      // The shell's ulimit is a builtin, and dash starts faster than prlimit(1).
      Optional<String> ulimits = ulimitScript(run);
      if (ulimits.isPresent()) {
        argv.addAll(List.of("/bin/sh", "-c", ulimits.get() + " && exec \"$@\"", "phantom-limits"));
      } else {
        argv.addAll(List.of(prlimitCommand.get().toString(), "--core=0"));
        if (run.limits().maxOpenFiles() > 0) {
          argv.add("--nofile=" + run.limits().maxOpenFiles());
        }
        argv.add("--fsize=" + run.limits().maxFileSizeBytes());
        argv.add("--");
      }
    }
    argv.addAll(prefix);
    argv.addAll(forkServer ? BwrapArgs.buildForkServer(installation.features(), profile, run)
        : BwrapArgs.build(installation.features(), profile, run, workspaceDir, block));
    return argv;
  }

  public SandboxCgroups cgroups() {
    return cgroups;
  }

  /** True when rlimits are set by {@code prlimit(2)} on the sandbox's first process (else by the prlimit wrapper). */
  boolean rlimitsBySyscall() {
    return prlimitCommand.isEmpty();
  }

  /** CAP_SYS_RESOURCE (bit 24) in this process's effective set. */
  static boolean hasCapSysResource() {
    try {
      for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
        if (line.startsWith("CapEff:")) {
          return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & (1L << 24)) != 0;
        }
      }
    } catch (java.io.IOException | NumberFormatException e) {
      // unknown: assume not
    }
    return false;
  }

  long maxCollectEach(RunSpec spec) {
    return Math.min(MAX_COLLECT_EACH, Math.max(spec.maxOutputBytes(), 1));
  }

  long maxCollectTotal(RunSpec spec) {
    return Math.max(spec.maxOutputBytes(), 1);
  }

  /** The profile's workspace mount, if it has one. */
  static Optional<Mount.Workspace> workspaceMount(SandboxProfile profile) {
    return profile.mounts().stream().filter(m -> m instanceof Mount.Workspace).map(m -> (Mount.Workspace) m).findFirst();
  }

  /** Refuses bad workspace paths, and files or collection without a workspace, before anything is created. */
  static void validateWorkspace(SandboxProfile profile, RunSpec run) {
    Optional<Mount.Workspace> mount = workspaceMount(profile);
    if (mount.isEmpty()) {
      if (!run.files().isEmpty() || !run.collect().isEmpty() || !run.hostWorkspace().isEmpty()
          || !run.workspaceBase().isEmpty()) {
        throw new ZygoteException(ZygoteException.Reason.INVALID_REQUEST,
            "profile " + profile.name() + " has no workspace: files, collect and host_workspace cannot be used");
      }
      return;
    }
    for (WorkspaceFile file : run.files()) {
      WorkspacePaths.components(mount.get().target(), file.path());
    }
    for (String path : run.collect()) {
      WorkspacePaths.components(mount.get().target(), path);
    }
  }

  /** Refuses a run whose argv, env, files or collection cannot be honoured under {@code profile}. */
  void validate(SandboxProfile profile, RunSpec run) {
    BwrapArgs.validate(profile, run);
    validateWorkspace(profile, run);
  }

  /** Runs in progress, for tests and shutdown. */
  public int runningCount() {
    return running.size();
  }

  @Override
  public Running launch(SandboxProfile profile, RunSpec run, OutputSink sink) {
    return launch(profile, run, sink, false);
  }

  @Override
  public Interactive launchInteractive(SandboxProfile profile, RunSpec run, OutputSink sink) {
    return launch(profile, run, sink, true);
  }

  private BwrapRun launch(SandboxProfile profile, RunSpec run, OutputSink sink, boolean interactive) {
    Spawned spawned = spawnSandbox(profile, run, -1, !interactive, true);
    BwrapRun handle = new BwrapRun(this, libc, run, spawned, sink, interactive, null);
    running.add(handle);
    if (!interactive) {
      countCommand(handle);
    }
    handle.start(io, timer);
    return handle;
  }

  /** Counts a one-shot run's command as running until its outcome (see {@link #fromParked}). */
  private void countCommand(BwrapRun handle) {
    commandsRunning.incrementAndGet();
    handle.outcome().whenComplete((outcome, failure) -> commandsRunning.decrementAndGet());
  }

  /**
   * Makes a warm slot of {@code profile}: a sandbox whose first process is {@code agent.argv()}, already in
   * its cgroup with its rlimits and seccomp filter, waiting on its standard input for one job. Blocks for
   * the spawn and the release handshake.
   *
   * @param agent the slot's own run: its argv is the agent, its limits and workspace those every job gets
   */
  public WarmSlot prepareSlot(SandboxProfile profile, RunSpec agent, SlotAgent kind) {
    return prepare(profile, agent, kind, kind.preamble(), -1);
  }

  /**
   * Starts a fork server for Python slots of {@code profile} (see {@link ForkServer}): a sandbox of the
   * profile, placed and limited like a slot, whose interpreter forks each slot of the pool.
   *
   * @param server the server's own run: its limits are the server's cgroup's
   */
  public ForkServer startForkServer(SandboxProfile profile, RunSpec server) {
    if (!cgroups.enforced()) {
      throw new ZygoteException(ZygoteException.Reason.SPAWN, "fork servers need cgroups (to place and kill each slot)");
    }
    int[] control = SeqPacket.pair(libc);
    WarmSlot sandbox;
    try {
      sandbox = prepare(profile, server, SlotAgent.PYTHON, SlotAgent.forkServerPreamble(), control[1]);
    } catch (RuntimeException e) {
      libc.close(control[0]);
      throw e;
    } finally {
      libc.close(control[1]);
    }
    return new ForkServer(this, libc, profile, sandbox, control[0]);
  }

  private WarmSlot prepare(SandboxProfile profile, RunSpec agent, SlotAgent kind, byte[] preamble, int controlFd) {
    Spawned spawned = spawnSandbox(profile, agent, controlFd, false, false);
    StringBuilder statusText = new StringBuilder();
    try {
      if (preamble.length > 0) {
        writeFully(spawned.stdinFd(), preamble); // a few KiB: fits in the empty pipe, read once the agent runs
      }
      int child = spawned.blockFd() >= 0
          ? SandboxRelease.placeAndRelease(this, libc, spawned, agent.limits(), statusText)
          : SandboxRelease.readUntilChildPid(libc, spawned.statusFd(), statusText);
      if (child < 0) {
        throw new IllegalStateException("bubblewrap ended before the sandbox existed");
      }
      if (spawned.blockFd() < 0) {
        started(child); // placeAndRelease holds them otherwise
      }
    } catch (RuntimeException e) {
      libc.kill(spawned.pid(), LibC.SIGKILL);
      spawned.group().killAll();
      killed();
      String said = stderrSoFar(spawned.stderrFd());
      new WarmSlot(this, libc, profile, agent, kind, spawned, statusText).discard();
      throw new ZygoteException(ZygoteException.Reason.SPAWN, "preparing a warm slot of " + profile.name() + " failed: "
          + e.getMessage() + (said.isEmpty() ? "" : "; bubblewrap said: " + said));
    }
    return new WarmSlot(this, libc, profile, agent, kind, spawned, statusText);
  }

  /**
   * Has {@code server} fork one slot: its pipes and cgroup are made here and passed over the control
   * socket; the slot's first process is moved into the cgroup before it makes its namespaces or forks, then
   * released. Blocks until the slot reports its init (or failed).
   */
  WarmSlot forkSlot(ForkServer server, RunSpec agent) {
    if (timer.isShutdown()) {
      throw new ZygoteException(ZygoteException.Reason.STOPPING, "the zygote is stopping");
    }
    long startNanos = System.nanoTime();
    SandboxProfile profile = server.profile();
    SandboxCgroups.Group group = cgroups.create(agent.runId(), agent.limits());
    List<Integer> parentEnds = new ArrayList<>();
    List<Integer> childEnds = new ArrayList<>();
    StringBuilder statusText = new StringBuilder();
    Spawned spawned = null;
    try {
      Pipe stdin = open(parentEnds, childEnds, false);
      Pipe stdout = open(parentEnds, childEnds, true);
      Pipe stderr = open(parentEnds, childEnds, true);
      Pipe status = open(parentEnds, childEnds, true);
      Pipe release = open(parentEnds, childEnds, false);
      int pidfd = server.fork(ForkRequest.json(profile, agent.limits()),
          new int[] {stdin.read, stdout.write, stderr.write, status.write, release.read});
      closeAll(childEnds);
      int firstPid;
      try {
        firstPid = ForkServer.hostPid(pidfd);
      } finally {
        libc.close(pidfd);
      }
      String workspaceTarget = workspaceMount(profile).map(Mount.Workspace::target).orElse("");
      spawned = new Spawned(-1, startNanos, stdin.write, stdout.read, stderr.read, status.read, -1, group, workspaces,
          null, workspaceTarget);
      group.add(firstPid);
      if (libc.write(release.write, new byte[] {'1'}, 1) != 1) {
        throw new IllegalStateException("releasing the slot failed: errno " + LibC.errno());
      }
      libc.close(release.write);
      parentEnds.remove(Integer.valueOf(release.write));
      if (SandboxRelease.readUntilChildPid(libc, status.read, statusText) < 0) {
        throw new IllegalStateException("the slot ended before its sandbox existed");
      }
      return new WarmSlot(this, libc, profile, agent, SlotAgent.PYTHON, spawned, statusText, ForkServer.initPid(group));
    } catch (RuntimeException e) {
      group.killAll();
      String said = spawned == null ? "" : stderrSoFar(spawned.stderrFd());
      closeAll(childEnds);
      closeAll(parentEnds);
      if (!group.killAndWait(5000)) {
        LOG.warning("a failed slot of " + profile.name() + " left processes behind");
      }
      group.remove();
      throw new ZygoteException(ZygoteException.Reason.SPAWN, "forking a warm slot of " + profile.name() + " failed: "
          + e.getMessage() + (said.isEmpty() ? "" : "; it said: " + said));
    }
  }

  /** What a failed sandbox has written to stderr so far, without waiting for more (at most 2 KiB). */
  private String stderrSoFar(int fd) {
    libc.fcntl(fd, LibC.F_SETFL, libc.fcntl(fd, LibC.F_GETFL, 0) | LibC.O_NONBLOCK);
    byte[] buffer = new byte[2048];
    long n = LibC.readRetrying(libc, fd, buffer);
    libc.fcntl(fd, LibC.F_SETFL, libc.fcntl(fd, LibC.F_GETFL, 0) & ~LibC.O_NONBLOCK);
    return n <= 0 ? "" : new String(buffer, 0, (int) n, java.nio.charset.StandardCharsets.UTF_8).strip();
  }

  /** Starts a job in a prepared slot: the run's readers, waiter and timeout begin now. */
  BwrapRun startInSlot(WarmSlot slot, RunSpec job, OutputSink sink, StringBuilder statusText) {
    BwrapRun handle = new BwrapRun(this, libc, job, slot.spawned(), sink, false, statusText);
    running.add(handle);
    countCommand(handle);
    handle.start(io, timer);
    return handle;
  }

  ExecutorService io() {
    return io;
  }

  /**
   * The run's rlimits as shell {@code ulimit} commands (a core limit of 0 at least); empty when the file size
   * limit is not a whole number of the 512-byte blocks {@code ulimit -f} counts (POSIX).
   */
  static Optional<String> ulimitScript(RunSpec run) {
    long fsize = run.limits().maxFileSizeBytes();
    if (fsize % 512 != 0) {
      return Optional.empty();
    }
    StringBuilder script = new StringBuilder("ulimit -c 0");
    if (run.limits().maxOpenFiles() > 0) {
      script.append(" && ulimit -n ").append(run.limits().maxOpenFiles());
    }
    if (fsize > 0) {
      script.append(" && ulimit -f ").append(fsize / 512);
    }
    return Optional.of(script.toString());
  }

  /**
   * Keeps {@code count} shells parked for cold runs ({@link ParkedLaunchers}), where the host's cgroups allow
   * it (v1); 0 or another host: cold runs spawn and place bubblewrap themselves. Call once, before runs.
   */
  public void parkLaunchers(int count) {
    if (count > 0 && cgroups.parks() && installation.ready() && parked == null) {
      parked = new ParkedLaunchers(this, libc, cgroups, count);
    }
  }

  /** The command line prefix that makes a process the sandbox user (setpriv ...), empty when not root. */
  List<String> dropPrivileges() {
    return dropPrivileges;
  }

  /**
   * Gives the sandbox user a descriptor it must reopen through /proc/self/fd (a pipe is root's, mode 0600,
   * otherwise). Nothing when the service is not root: the descriptor is its own user's already.
   */
  void ownForSandbox(int fd) {
    if (!dropPrivileges.isEmpty() && libc.fchown(fd, sandboxUid, sandboxGid) != 0) {
      throw new ZygoteException(ZygoteException.Reason.SPAWN, "fchown of a pipe failed: errno " + LibC.errno());
    }
  }

  /** Parked launchers ready now (0 without them). */
  public int parkedLaunchers() {
    ParkedLaunchers p = parked;
    return p == null ? 0 : p.idleCount();
  }

  /** Cold runs started from a parked launcher so far. */
  public long parkedLaunchesTaken() {
    ParkedLaunchers p = parked;
    return p == null ? 0 : p.takenCount();
  }

  /**
   * A cold run started from a parked shell, or null when none is ready, the run needs the classic path (a
   * file size limit ulimit cannot say, a script over the pipe buffer) or the shell failed to take it.
   *
   * <p>Only on a quiet node (no other one-shot command running): the wait parked shells avoid is that of the
   * first cgroup move after a quiet spell, while under load the moves of the runs keep each other's wait
   * short. And under load they cost more: 16 clients sustained 104-111 runs/s with them against 128-139
   * without, at 2 ms more of the zygote's CPU per run (its I/O threads' system time), measured alternately.
   */
  private Spawned fromParked(SandboxProfile profile, RunSpec run, Workspaces.Workspace workspace, String target,
      byte[] bpf, long startNanos, StageTrace trace) {
    ParkedLaunchers launchers = parked;
    // Checked before the script is built: with none ready, the classic path builds its own command line.
    if (launchers == null || commandsRunning.get() > 0 || launchers.idleCount() == 0) {
      return null;
    }
    Optional<String> ulimits = ulimitScript(run);
    if (ulimits.isEmpty()) {
      return null;
    }
    // The parked shell is the sandbox user already (setpriv ran when it was parked): bubblewrap directly.
    List<String> argv = new ArrayList<>(prefix.subList(dropPrivileges.size(), prefix.size()));
    argv.addAll(BwrapArgs.build(installation.features(), profile, run, workspace == null ? "" : workspace.dir().toString(),
        true));
    byte[] script = ParkedLaunchers.script(ulimits.get(), argv, bpf.length > 0).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (script.length > ParkedLaunchers.MAX_SCRIPT_BYTES) {
      return null;
    }
    ParkedLaunchers.Parked p = launchers.take();
    if (p == null) {
      return null;
    }
    SandboxCgroups.Group group = p.group();
    int scriptFd = p.scriptFd();
    boolean handedOver = false;
    try {
      if (bpf.length > 0) {
        writeFully(p.seccompFd(), bpf); // at most 32 KiB, below the pipe buffer
      }
      libc.close(p.seccompFd());
      writeFully(scriptFd, script);
      libc.close(scriptFd);
      scriptFd = -1;
      trace.mark("script");
      // bubblewrap starts now; its command waits on the block descriptor while its group becomes the run's.
      group = cgroups.adopt(p.group(), run.runId(), run.limits());
      trace.mark("adopted");
      launchers.handedOver();
      handedOver = true;
      if (libc.write(p.blockFd(), new byte[] {'1'}, 1) != 1) {
        throw new ZygoteException(ZygoteException.Reason.SPAWN, "releasing the sandbox failed: errno " + LibC.errno());
      }
    } catch (RuntimeException e) {
      // Nothing of the run has run unconfined (its command still waits on the block descriptor), and a shell
      // that died just now is not the run's failure: the run starts the classic way instead.
      LOG.log(java.util.logging.Level.WARNING, "a parked launcher could not take run " + run.runId()
          + "; it starts without one", e);
      launchers.discard(new ParkedLaunchers.Parked(p.pid(), p.stdinFd(), p.stdoutFd(), p.stderrFd(), -1, p.statusFd(),
          p.blockFd(), scriptFd, group));
      if (!handedOver) {
        launchers.handedOver();
      }
      return null;
    }
    libc.close(p.blockFd());
    return new Spawned(p.pid(), startNanos, p.stdinFd(), p.stdoutFd(), p.stderrFd(), p.statusFd(), -1, group, workspaces,
        workspace, target);
  }

  /**
   * Spawns bubblewrap for {@code run} with its workspace and cgroup made and its pipes open; nothing reads
   * them yet. On failure everything made is undone.
   *
   * @param oneShot a run that ends with its command (not a session or a warm slot, whose workspace the
   *     zygote may fill or read later)
   * @param mayPark start it from a parked launcher when one is ready
   */
  private Spawned spawnSandbox(SandboxProfile profile, RunSpec run, int controlFd, boolean oneShot, boolean mayPark) {
    if (!installation.ready()) {
      throw new ZygoteException(ZygoteException.Reason.BUBBLEWRAP_MISSING, installation.problem().get());
    }
    if (timer.isShutdown()) {
      throw new ZygoteException(ZygoteException.Reason.STOPPING, "the zygote is stopping");
    }
    long startNanos = System.nanoTime();
    StageTrace trace = StageTrace.start("zygote.spawn-sandbox");
    validate(profile, run); // argv and env problems first, before anything is made
    Optional<Mount.Workspace> wsMount = workspaceMount(profile);
    Workspaces.Workspace workspace = null;
    SandboxCgroups.Group group = null;
    byte[] bpf = profile.seccompBpf();
    List<Integer> parentEnds = new ArrayList<>();
    List<Integer> childEnds = new ArrayList<>();
    boolean started = false;
    try {
      boolean forkServer = controlFd >= 0;
      // A one-shot run that brings no files and collects none needs no host directory: its workspace is a
      // tmpfs bubblewrap mounts inside the sandbox, with no host mount to make, to copy into every sandbox
      // started meanwhile (each extra host mount made every bubblewrap start about 18 us slower) and to undo.
      boolean inSandbox = oneShot && run.files().isEmpty() && run.collect().isEmpty() && run.hostWorkspace().isEmpty()
          && run.workspaceBase().isEmpty();
      if (wsMount.isPresent() && workspaces != null && !forkServer && !inSandbox) {
        workspace = run.hostWorkspace().isEmpty()
            ? workspaces.create(run.runId(), wsMount.get().target(), wsMount.get().sizeBytes(), run.files(),
                run.workspaceBase())
            : workspaces.host(run.hostWorkspace(), wsMount.get().target(), run.files());
      }
      trace.mark("workspace");
      if (mayPark) {
        Spawned fromParked = fromParked(profile, run, workspace, wsMount.map(Mount.Workspace::target).orElse(""), bpf,
            startNanos, trace);
        if (fromParked != null) {
          trace.end("parked");
          started = true;
          return fromParked;
        }
      }
      group = cgroups.create(run.runId(), run.limits());
      trace.mark("cgroup");
      // Blocked start: always with a cgroup (usage, kill), and for the rlimits (RLIMIT_CORE=0 at least).
      boolean block = cgroups.enforced() || run.limits().maxOpenFiles() > 0 || run.limits().maxFileSizeBytes() > 0;
      List<String> argv = commandLine(profile, run, workspace == null ? "" : workspace.dir().toString(), block,
          forkServer);
      Pipe stdin = open(parentEnds, childEnds, false);
      Pipe stdout = open(parentEnds, childEnds, true);
      Pipe stderr = open(parentEnds, childEnds, true);
      Pipe seccomp = bpf.length > 0 ? open(parentEnds, childEnds, false) : null;
      Pipe status = open(parentEnds, childEnds, true);
      Pipe blockPipe = block ? open(parentEnds, childEnds, false) : null;
      if (seccomp != null) {
        // At most 32 KiB, below the 64 KiB pipe buffer: this write never blocks.
        writeFully(seccomp.write, bpf);
        libc.close(seccomp.write);
        parentEnds.remove(Integer.valueOf(seccomp.write));
      }
      // A fork server reads the filter from fd 3 itself (bubblewrap, not told --seccomp, passes it on) and
      // its control socket is fd 6.
      int[] targets = {stdin.read, stdout.write, stderr.write, seccomp == null ? -1 : seccomp.read, status.write,
          blockPipe == null ? -1 : blockPipe.read, controlFd};
      trace.mark("pipes");
      int pid = spawn(argv, targets);
      trace.end("spawned");
      BwrapLauncherProcesses.spawned(pid);
      started = true;
      closeAll(childEnds);
      return new Spawned(pid, startNanos, stdin.write, stdout.read, stderr.read, status.read,
          blockPipe == null ? -1 : blockPipe.write, group, workspaces, workspace,
          wsMount.map(Mount.Workspace::target).orElse(""));
    } catch (RuntimeException e) {
      closeAll(childEnds);
      closeAll(parentEnds);
      if (!started) {
        if (group != null) {
          group.remove();
        }
        if (workspace != null) {
          workspace.close();
        }
      }
      throw e;
    }
  }

  /** A sandbox was killed: its orphaned first process is reaped here soon, not by the host's init. */
  void killed() {
    orphans.afterKill();
  }

  /** A sandbox's init exists ({@code initPid}, as bubblewrap reported it): its namespaces are held. */
  void started(int initPid) {
    namespaces.hold(initPid);
  }

  /**
   * A run's processes are all gone: the init bubblewrap left behind (a zombie here) is reaped, and its
   * namespaces are let go a little later.
   */
  void ended(int initPid) {
    namespaces.release(initPid);
    orphans.afterEnd(initPid);
  }

  void finished(BwrapRun run) {
    running.remove(run);
  }

  Pipe open(List<Integer> parentEnds, List<Integer> childEnds, boolean childWrites) {
    Pipe pipe = Pipe.open(libc);
    parentEnds.add(childWrites ? pipe.read : pipe.write);
    childEnds.add(childWrites ? pipe.write : pipe.read);
    return pipe;
  }

  /**
   * Starts {@code argv} with {@code targets[i]} as its descriptor i and nothing else inherited. Where argv
   * holds {@link #dropPrivileges} (setpriv ...) and {@link ThreadCredentials} work here, that part is left
   * out and the process starts as the sandbox user instead: the same ids and capabilities, one exec fewer.
   */
  int spawn(List<String> argv, int[] targets) {
    int setpriv = credentials.isPresent() ? java.util.Collections.indexOfSubList(argv, dropPrivileges) : -1;
    if (setpriv >= 0) {
      List<String> direct = new ArrayList<>(argv.subList(0, setpriv));
      direct.addAll(argv.subList(setpriv + dropPrivileges.size(), argv.size()));
      argv = direct;
    }
    boolean asSandboxUser = setpriv >= 0;
    jnr.ffi.Runtime runtime = jnr.ffi.Runtime.getRuntime(libc);
    Pointer actions = Memory.allocateDirect(runtime, LibC.FILE_ACTIONS_SIZE);
    Pointer attr = Memory.allocateDirect(runtime, LibC.SPAWNATTR_SIZE);
    Pointer allSignals = Memory.allocateDirect(runtime, LibC.SIGSET_SIZE);
    Pointer noSignals = Memory.allocateDirect(runtime, LibC.SIGSET_SIZE);
    libc.posix_spawn_file_actions_init(actions);
    libc.posix_spawnattr_init(attr);
    try {
      for (int target = 0; target < targets.length; target++) {
        if (targets[target] >= 0) {
          // dup2 clears close-on-exec on the copy, so only these (up to six) survive the exec.
          check(libc.posix_spawn_file_actions_adddup2(actions, targets[target], target), "adddup2");
        } else {
          // An unused slot (no seccomp program, no block fd) must not pass on whatever the JVM holds there.
          check(libc.posix_spawn_file_actions_addclose(actions, target), "addclose");
        }
      }
      // The JVM holds descriptors without close-on-exec (sockets, jars): none may reach the sandbox.
      check(libc.posix_spawn_file_actions_addclosefrom_np(actions, Pipe.FIRST_FREE), "addclosefrom_np");
      // The JVM ignores or blocks some signals; the sandbox starts with the defaults.
      libc.sigfillset(allSignals);
      libc.sigemptyset(noSignals);
      check(libc.posix_spawnattr_setsigdefault(attr, allSignals), "setsigdefault");
      check(libc.posix_spawnattr_setsigmask(attr, noSignals), "setsigmask");
      check(libc.posix_spawnattr_setflags(attr, (short) (LibC.POSIX_SPAWN_SETSIGDEF | LibC.POSIX_SPAWN_SETSIGMASK)),
          "setflags");
      int[] pid = new int[1];
      NativeStrings nativeArgv = NativeStrings.of(runtime, argv);
      NativeStrings nativeEnvp = NativeStrings.of(runtime, List.of());
      String path = argv.getFirst();
      IntSupplier posixSpawn = () -> libc.posix_spawn(pid, path, actions, attr, nativeArgv.pointer(), nativeEnvp.pointer());
      int rc;
      try {
        rc = asSandboxUser ? credentials.get().asSandboxUser(posixSpawn) : posixSpawn.getAsInt();
      } catch (IllegalStateException e) {
        throw new ZygoteException(ZygoteException.Reason.SPAWN, e.getMessage());
      }
      // The arrays and their strings must outlive the call: touch them after it.
      java.lang.ref.Reference.reachabilityFence(nativeArgv);
      java.lang.ref.Reference.reachabilityFence(nativeEnvp);
      if (rc != 0) {
        throw new ZygoteException(ZygoteException.Reason.SPAWN, "posix_spawn of " + argv.getFirst() + " failed: errno " + rc);
      }
      return pid[0];
    } finally {
      libc.posix_spawn_file_actions_destroy(actions);
      libc.posix_spawnattr_destroy(attr);
    }
  }

  private static void check(int rc, String step) {
    if (rc != 0) {
      throw new ZygoteException(ZygoteException.Reason.SPAWN, "posix_spawn " + step + " failed: errno " + rc);
    }
  }

  private void writeFully(int fd, byte[] data) {
    int off = 0;
    while (off < data.length) {
      byte[] rest = off == 0 ? data : java.util.Arrays.copyOfRange(data, off, data.length);
      long n = libc.write(fd, rest, rest.length);
      if (n < 0) {
        if (LibC.errno() == LibC.EINTR) {
          continue;
        }
        throw new ZygoteException(ZygoteException.Reason.SPAWN, "writing a sandbox's setup pipe failed: errno " + LibC.errno());
      }
      off += (int) n;
    }
  }

  private void closeAll(List<Integer> fds) {
    for (int fd : fds) {
      libc.close(fd);
    }
    fds.clear();
  }

  /** Kills every running sandbox and waits up to {@code grace} for them to be gone. */
  public void shutdown(Duration grace) {
    List<CompletableFuture<?>> outcomes = new ArrayList<>();
    for (BwrapRun run : running) {
      run.kill(KillReason.SHUTDOWN);
      outcomes.add(run.outcome().toCompletableFuture());
    }
    try {
      CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
      // Logged by the caller through runningCount(); the sandboxes got SIGKILL already.
    }
    ParkedLaunchers p = parked;
    if (p != null) {
      p.close();
    }
    namespaces.closeAllNow();
    timer.shutdownNow();
    io.shutdown();
    cgroups.close();
  }

  @Override
  public void close() {
    shutdown(Duration.ofSeconds(5));
  }
}
