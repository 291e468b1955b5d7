package dev.phantom.zygote.bwrap;

import dev.phantom.zygote.core.OutputSink;
import dev.phantom.zygote.core.RunSpec;
import dev.phantom.zygote.core.SandboxLauncher;
import dev.phantom.zygote.core.SandboxProfile;
import dev.phantom.zygote.core.SlotAgent;
import dev.phantom.zygote.workspace.Workspaces;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A sandbox made ahead of time whose agent waits for one job. Taken by exactly one job, or discarded; it
 * never goes back to a pool.
 */
public final class WarmSlot {

  private final BwrapLauncher launcher;
  private final LibC libc;
  private final SandboxProfile profile;
  private final RunSpec agent;
  private final SlotAgent kind;
  private final Spawned spawned;
  private final StringBuilder statusText;
  private final long readyNanos = System.nanoTime();
  private final AtomicBoolean used = new AtomicBoolean();
  private final AtomicBoolean ended = new AtomicBoolean();
  /** Held to take the slot and to detach its workspace, so files never go in while the workspace moves. */
  private final Object handover = new Object();
  private volatile Runnable onEnd = () -> { };
  /** The init of a forked slot (no bubblewrap of its own: {@code spawned.pid()} is -1), else 0. */
  private final int forkedInit;

  WarmSlot(BwrapLauncher launcher, LibC libc, SandboxProfile profile, RunSpec agent, SlotAgent kind, Spawned spawned,
      StringBuilder statusText) {
    this(launcher, libc, profile, agent, kind, spawned, statusText, 0);
  }

  /** A slot forked by a {@link ForkServer}; {@code init} is its pid 1 on the host (-1 if unknown). */
  WarmSlot(BwrapLauncher launcher, LibC libc, SandboxProfile profile, RunSpec agent, SlotAgent kind, Spawned spawned,
      StringBuilder statusText, int init) {
    this.forkedInit = init;
    this.launcher = launcher;
    this.libc = libc;
    this.profile = profile;
    this.agent = agent;
    this.kind = kind;
    this.spawned = spawned;
    this.statusText = statusText;
  }

  Spawned spawned() {
    return spawned;
  }

  public SandboxProfile profile() {
    return profile;
  }

  /** The limits every job of this slot runs under (its cgroup and rlimits were set when it was made). */
  public RunSpec agent() {
    return agent;
  }

  public SlotAgent kind() {
    return kind;
  }

  /** When the slot became ready, in {@link System#nanoTime()} terms. */
  public long readyNanos() {
    return readyNanos;
  }

  /**
   * The bubblewrap process on the host, whose tree is the sandbox's processes, for memory accounting; for a
   * forked slot its init (the slot's processes are its tree too).
   */
  public int pid() {
    return forked() ? forkedInit : spawned.pid();
  }

  /** True when a fork server made this slot: its files travel in the job line. */
  public boolean forked() {
    return spawned.pid() < 0;
  }

  /**
   * Runs {@code action} once the slot's sandbox is gone and released (its job ended, or it was discarded),
   * on the thread that released it.
   */
  public void whenEnded(Runnable action) {
    onEnd = action;
  }

  private void ended(BwrapRun run) {
    run.released().whenComplete((done, failure) -> {
      if (ended.compareAndSet(false, true)) {
        onEnd.run();
      }
    });
  }

  /** False when {@code job} needs what only a fresh spawn gives (files or collection without a host workspace). */
  public boolean canRun(RunSpec job) {
    if (forked()) {
      return job.hostWorkspace().isEmpty() && job.collect().isEmpty() && job.workspaceBase().isEmpty()
          && (job.files().isEmpty() || !spawned.workspaceTarget().isEmpty()) && lineFits(job);
    }
    return job.hostWorkspace().isEmpty()
        && (spawned.workspace() != null || (job.files().isEmpty() && job.collect().isEmpty()));
  }

  /** A forked slot's job line carries the files (base64): it must stay within the handover limit. */
  private static boolean lineFits(RunSpec job) {
    long bytes = SlotAgent.approximateBytes(job.argv(), job.env()) + 1024;
    for (dev.phantom.zygote.core.WorkspaceFile file : job.files()) {
      bytes += file.path().length() + 64 + (file.content().length + 2) / 3 * 4;
    }
    return bytes <= SlotAgent.MAX_JOB_BYTES;
  }

  /** The job line for {@code job}: with its files in it for a forked slot. */
  public byte[] handover(RunSpec job) {
    java.util.List<SlotAgent.InLineFile> files = forked() && !job.files().isEmpty()
        ? SlotAgent.inLine(spawned.workspaceTarget(), job.files()) : java.util.List.of();
    return kind.handover(new SlotAgent.Job(job.argv(), job.env(), "", files));
  }

  /**
   * True while the slot's bubblewrap has not exited. A dead slot (its agent crashed, or something killed it)
   * must never be handed a job.
   */
  public boolean alive() {
    if (forked()) {
      return statusQuiet();
    }
    jnr.ffi.Pointer info = jnr.ffi.Memory.allocateDirect(jnr.ffi.Runtime.getRuntime(libc), LibC.SIGINFO_SIZE);
    info.putInt(LibC.SIGINFO_PID_OFFSET, 0);
    if (libc.waitid(LibC.P_PID, spawned.pid(), info, LibC.WEXITED | LibC.WNOHANG | LibC.WNOWAIT) != 0) {
      return false;
    }
    return info.getInt(LibC.SIGINFO_PID_OFFSET) == 0; // si_pid stays 0 while the process has not exited
  }

  /**
   * Hands {@code job} to the agent and starts reading the run's output. The job's files must already be in
   * the workspace. {@code job.limits()} must be those of {@link #agent()}.
   *
   * @param jobLine the agent's encoding of the job ({@link SlotAgent#handover})
   * @throws IllegalStateException when the slot was used already, or its agent is gone (nothing ran)
   * @throws dev.phantom.zygote.core.ZygoteException {@code INVALID_REQUEST} for a bad job (the slot is kept)
   */
  public SandboxLauncher.Running start(RunSpec job, byte[] jobLine, OutputSink sink) {
    launcher.validate(profile, job);
    synchronized (handover) {
      if (!used.compareAndSet(false, true)) {
        throw new IllegalStateException("slot already used");
      }
    }
    if (!job.files().isEmpty() && !forked()) {
      try {
        spawned.workspaces().place(spawned.workspace(), spawned.workspaceTarget(), job.files());
      } catch (RuntimeException e) {
        discardNow();
        throw e;
      }
    }
    // The line fits in the pipe buffer's 64 KiB in all but rare cases; a longer one blocks this worker
    // until the agent has read the head of it, which it does at once.
    long n = writeFully(jobLine);
    if (n < 0) {
      discardNow();
      throw new IllegalStateException("the slot's agent is gone: errno " + (-n));
    }
    BwrapRun run = launcher.startInSlot(this, job, sink, statusText);
    ended(run);
    return run;
  }

  /**
   * Takes the slot's workspace out of the host's mount table once its sandbox has bound it ({@link
   * dev.phantom.zygote.workspace.Workspaces.Workspace#detach}), so that idle slots do not slow every other
   * sandbox's start. Files still go in, and collected files come out, through the descriptor it keeps.
   *
   * @return {@code YES} when nothing is left to do (detached, nothing to detach, the slot used or dead);
   *     {@code NOT_YET} while its sandbox has not made its mounts; {@code CANNOT_TELL} when this process
   *     may not look into sandboxes (it stays mounted)
   */
  public Workspaces.Workspace.Bound detachWorkspace() {
    Workspaces.Workspace ws = spawned.workspace();
    if (forked() || ws == null || !ws.detachable()) {
      return Workspaces.Workspace.Bound.YES;
    }
    synchronized (handover) {
      if (used.get()) {
        return Workspaces.Workspace.Bound.YES;
      }
      java.util.OptionalInt init = dev.phantom.zygote.core.BwrapStatus.parse(statusText.toString()).childPid();
      if (init.isEmpty() || !alive()) {
        return Workspaces.Workspace.Bound.YES;
      }
      // Until bubblewrap's init has made the mounts and changed root, this path is the host's or missing.
      Workspaces.Workspace.Bound bound = lookIntoSandboxes()
          ? ws.boundAt(java.nio.file.Path.of("/proc/" + init.getAsInt() + "/root" + spawned.workspaceTarget()))
          : Workspaces.Workspace.Bound.CANNOT_TELL;
      if (bound == Workspaces.Workspace.Bound.CANNOT_TELL) {
        bound = agentStarted();
      }
      if (bound == Workspaces.Workspace.Bound.YES) {
        ws.detach();
      }
      return bound;
    }
  }

  /**
   * Off ({@code -Dphantom.zygote.lookIntoSandboxes=false}) as where CAP_SYS_PTRACE is missing: then only
   * {@link #agentStarted} tells when a slot's mounts are made.
   */
  private static boolean lookIntoSandboxes() {
    return !"false".equals(System.getProperty("phantom.zygote.lookIntoSandboxes"));
  }

  /**
   * Whether the slot's agent runs, from its group alone (no look into the sandbox): bubblewrap forks the
   * command from its init only once every mount is made and the root changed, so a third process in the
   * group (bubblewrap, its init, the agent) means the workspace is bound. {@code CANNOT_TELL} without
   * cgroups.
   */
  private Workspaces.Workspace.Bound agentStarted() {
    int processes = spawned.group().pids().size();
    return processes == 0 ? Workspaces.Workspace.Bound.CANNOT_TELL
        : processes >= 3 ? Workspaces.Workspace.Bound.YES : Workspaces.Workspace.Bound.NOT_YET;
  }

  /**
   * A forked slot's init holds the write end of its status pipe until it dies (and its pid namespace with it),
   * and writes nothing more before a job ends: nothing to read and no hang-up means it is alive.
   */
  private boolean statusQuiet() {
    jnr.ffi.Pointer polled = jnr.ffi.Memory.allocateDirect(jnr.ffi.Runtime.getRuntime(libc), LibC.POLLFD_SIZE, true);
    polled.putInt(0, spawned.statusFd());
    polled.putShort(4, LibC.POLLIN);
    int n = libc.poll(polled, 1, 0);
    return n == 0;
  }

  /** Kills the slot and releases what it holds, off the caller's thread. */
  public void discard() {
    if (used.compareAndSet(false, true)) {
      discardNow();
    }
  }

  private void discardNow() {
    if (!forked()) {
      libc.kill(spawned.pid(), LibC.SIGKILL);
    }
    spawned.group().killAll();
    launcher.killed();
    RunSpec reaper = agent;
    // A run that nobody reads: its waiter reaps bubblewrap and its release removes the workspace and cgroup.
    ended(launcher.startInSlot(this, reaper, null, statusText));
  }

  private long writeFully(byte[] data) {
    int off = 0;
    while (off < data.length) {
      byte[] rest = off == 0 ? data : java.util.Arrays.copyOfRange(data, off, data.length);
      long n = libc.write(spawned.stdinFd(), rest, rest.length);
      if (n < 0) {
        int errno = LibC.errno();
        if (errno == LibC.EINTR) {
          continue;
        }
        return -errno;
      }
      off += (int) n;
    }
    return off;
  }
}
