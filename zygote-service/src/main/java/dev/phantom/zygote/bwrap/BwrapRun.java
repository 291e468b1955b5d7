package dev.phantom.zygote.bwrap;

import dev.phantom.zygote.core.BwrapStatus;
import dev.phantom.zygote.core.KillReason;
import dev.phantom.zygote.core.OutputBudget;
import dev.phantom.zygote.core.OutputSink;
import dev.phantom.zygote.core.Outcomes;
import dev.phantom.zygote.core.RunOutcome;
import dev.phantom.zygote.core.ResourceLimits;
import dev.phantom.zygote.core.ResourceUsage;
import dev.phantom.zygote.core.RunSpec;
import dev.phantom.zygote.core.SandboxCgroups;
import dev.phantom.zygote.core.SandboxLauncher;
import dev.phantom.zygote.core.Termination;
import dev.phantom.zygote.core.WorkspaceFile;
import dev.phantom.zygote.workspace.Workspaces;
import java.util.List;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/** One started bubblewrap process: its readers, its waiter, its timeout. */
final class BwrapRun implements SandboxLauncher.Interactive {

  private static final Logger LOG = Logger.getLogger(BwrapRun.class.getName());

  private final BwrapLauncher launcher;
  private final LibC libc;
  private final RunSpec spec;
  private final int pid;
  private final long startNanos;
  private final int stdinFd;
  private final int stdoutFd;
  private final int stderrFd;
  private final int statusFd;
  private final OutputSink sink;
  private final SandboxCgroups.Group group;
  private final Workspaces.Workspace workspace;
  private final Workspaces workspaces;
  private final String workspaceTarget;
  /** Write end of bubblewrap's --block-fd, or -1 when the sandbox was not blocked. */
  private final int blockFd;
  private final CompletableFuture<RunOutcome> outcome = new CompletableFuture<>();
  private final CompletableFuture<Void> released = new CompletableFuture<>();
  /** Standard input stays open (non-blocking) for {@link #write} until {@link #closeInput} or the exit. */
  private final boolean interactive;
  private final Object inputLock = new Object();
  private boolean inputClosed;
  private final StringBuilder statusText = new StringBuilder();
  private volatile String setupFailure;

  private final Object lock = new Object();
  // Guarded by lock: once the process has exited (but before it is reaped) no signal is sent, so a kill
  // can never hit a recycled pid.
  private boolean exited;
  private KillReason killReason;

  private volatile long childStartedNanos;
  private ScheduledFuture<?> timeout;

  BwrapRun(BwrapLauncher launcher, LibC libc, RunSpec spec, int pid, long startNanos, int stdinFd, int stdoutFd,
      int stderrFd, int statusFd, OutputSink sink) {
    this(launcher, libc, spec, pid, startNanos, stdinFd, stdoutFd, stderrFd, statusFd, -1, sink,
        SandboxCgroups.NONE.create(spec.runId(), ResourceLimits.NONE), null, null, "", false);
  }

  BwrapRun(BwrapLauncher launcher, LibC libc, RunSpec spec, int pid, long startNanos, int stdinFd, int stdoutFd,
      int stderrFd, int statusFd, int blockFd, OutputSink sink, SandboxCgroups.Group group, Workspaces workspaces,
      Workspaces.Workspace workspace, String workspaceTarget, boolean interactive) {
    this.interactive = interactive;
    this.blockFd = blockFd;
    this.group = group;
    this.workspaces = workspaces;
    this.workspace = workspace;
    this.workspaceTarget = workspaceTarget;
    this.launcher = launcher;
    this.libc = libc;
    this.spec = spec;
    this.pid = pid;
    this.startNanos = startNanos;
    this.stdinFd = stdinFd;
    this.stdoutFd = stdoutFd;
    this.stderrFd = stderrFd;
    this.statusFd = statusFd;
    this.sink = sink;
  }

  /** The bubblewrap (or setpriv, which execs it) process id on the host. */
  int pid() {
    return pid;
  }

  @Override
  public String runId() {
    return spec.runId();
  }

  @Override
  public CompletionStage<RunOutcome> outcome() {
    return outcome;
  }

  @Override
  public void kill(KillReason reason) {
    synchronized (lock) {
      if (exited) {
        return;
      }
      if (killReason == null) {
        killReason = reason;
      }
      // bwrap was started with --die-with-parent and --unshare-pid: its death takes the whole pid namespace;
      // the cgroup catches whatever is still on its way out.
      libc.kill(pid, LibC.SIGKILL);
      group.killAll();
    }
  }

  @Override
  public boolean write(byte[] data) {
    synchronized (inputLock) {
      if (!interactive || inputClosed) {
        return false;
      }
      int off = 0;
      while (off < data.length) {
        byte[] rest = off == 0 ? data : Arrays.copyOfRange(data, off, data.length);
        long n = libc.write(stdinFd, rest, rest.length);
        if (n < 0) {
          if (LibC.errno() == LibC.EINTR) {
            continue;
          }
          return false; // EAGAIN: the reader is not reading; EPIPE: it is gone
        }
        off += (int) n;
      }
      return true;
    }
  }

  @Override
  public void closeInput() {
    synchronized (inputLock) {
      if (interactive && !inputClosed) {
        inputClosed = true;
        libc.close(stdinFd);
      }
    }
  }

  void start(ExecutorService io, ScheduledExecutorService timer) {
    CompletableFuture<Captured> out = CompletableFuture.supplyAsync(() -> drain(stdoutFd, OutputSink.Stream.STDOUT), io);
    CompletableFuture<Captured> err = CompletableFuture.supplyAsync(() -> drain(stderrFd, OutputSink.Stream.STDERR), io);
    timeout = timer.schedule(() -> kill(KillReason.TIMEOUT), spec.timeout().toNanos(), TimeUnit.NANOSECONDS);
    if (blockFd >= 0) {
      placeAndRelease();
    }
    CompletableFuture<BwrapStatus> status = CompletableFuture.supplyAsync(this::readStatus, io);
    if (interactive) {
      // Non-blocking, so that a sandbox that stops reading can never stall the writer.
      libc.fcntl(stdinFd, LibC.F_SETFL, libc.fcntl(stdinFd, LibC.F_GETFL, 0) | LibC.O_NONBLOCK);
    } else if (spec.stdin().length == 0) {
      libc.close(stdinFd);
    } else {
      io.execute(this::feedStdin);
    }
    io.execute(() -> {
      try {
        Termination bwrap = waitForExit();
        if (interactive) {
          closeInput();
        }
        Captured o = out.join();
        Captured e = err.join();
        BwrapStatus st = status.join();
        try {
          complete(bwrap, o, e, st, afterExit());
        } finally {
          // After the reply: the caller need not wait for the unmount and the cgroup's removal. The run
          // still counts as running until they are done (launcher.finished), so nothing is reused early.
          release();
        }
      } catch (RuntimeException | Error e) {
        LOG.log(Level.SEVERE, "run " + spec.runId() + " failed in the zygote", e);
        outcome.completeExceptionally(e);
      } finally {
        launcher.finished(this);
        released.complete(null);
      }
    });
  }

  /**
   * The sandbox's first process is blocked on --block-fd: read its pid from the status fd, move bubblewrap
   * and it into the cgroup, set its rlimits, then let it go. Everything the command forks later inherits
   * both. On any failure the sandbox is killed before it is released, so no command ever runs unconfined.
   */
  private void placeAndRelease() {
    try {
      OptionalIntHolder child = readStatusUntilChildPid();
      if (child.pid < 0) {
        return; // bubblewrap failed before creating the sandbox; its stderr says why
      }
      group.add(pid);
      group.add(child.pid);
      ResourceLimits limits = spec.limits();
      if (launcher.rlimitsBySyscall()) {
        setRlimit(child.pid, LibC.RLIMIT_CORE, 0);
        if (limits.maxOpenFiles() > 0) {
          setRlimit(child.pid, LibC.RLIMIT_NOFILE, limits.maxOpenFiles());
        }
        if (limits.maxFileSizeBytes() > 0) {
          setRlimit(child.pid, LibC.RLIMIT_FSIZE, limits.maxFileSizeBytes());
        }
      }
      childStartedNanos = System.nanoTime();
      if (libc.write(blockFd, new byte[] {'1'}, 1) != 1) {
        throw new IllegalStateException("releasing the sandbox failed: errno " + LibC.errno());
      }
    } catch (RuntimeException e) {
      setupFailure = e.getMessage();
      LOG.warning("run " + spec.runId() + ": " + e.getMessage());
      kill(KillReason.SETUP);
    } finally {
      libc.close(blockFd);
    }
  }

  private static final class OptionalIntHolder {
    int pid = -1;
  }

  private OptionalIntHolder readStatusUntilChildPid() {
    OptionalIntHolder holder = new OptionalIntHolder();
    byte[] chunk = new byte[4096];
    while (true) {
      long n = LibC.readRetrying(libc, statusFd, chunk);
      if (n <= 0) {
        return holder;
      }
      statusText.append(new String(chunk, 0, (int) n, StandardCharsets.UTF_8));
      var childPid = BwrapStatus.parse(statusText.toString()).childPid();
      if (childPid.isPresent()) {
        holder.pid = childPid.getAsInt();
        return holder;
      }
    }
  }

  private void setRlimit(int target, int resource, long value) {
    jnr.ffi.Pointer limit = jnr.ffi.Memory.allocateDirect(jnr.ffi.Runtime.getRuntime(libc), 16);
    limit.putLong(0, value);
    limit.putLong(8, value);
    if (libc.prlimit(target, resource, limit, null) != 0) {
      throw new IllegalStateException("prlimit(" + target + ", " + resource + ", " + value + ") failed: errno " + LibC.errno());
    }
  }

  /** What is learned once bubblewrap is gone: every process killed, usage read, files collected. */
  private record AfterExit(ResourceUsage usage, List<WorkspaceFile> files) {}

  private AfterExit afterExit() {
    ResourceUsage usage = ResourceUsage.NONE;
    List<WorkspaceFile> files = List.of();
    try {
      if (!group.killAndWait(5000)) {
        LOG.warning("run " + spec.runId() + ": processes still in the cgroup after 5 s of SIGKILL");
      }
      usage = group.usage();
      if (workspace != null && !spec.collect().isEmpty()) {
        files = workspaces.collect(workspace, workspaceTarget, spec.collect(), launcher.maxCollectEach(spec),
            launcher.maxCollectTotal(spec));
      }
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "run " + spec.runId() + ": reading usage or collecting files failed", e);
    }
    return new AfterExit(usage, files);
  }

  /** Unmounts and removes the workspace and removes the cgroup, once every process of the run is gone. */
  @Override
  public CompletionStage<Void> released() {
    return released;
  }

  private void release() {
    try {
      if (workspace != null) {
        workspace.close();
      }
    } finally {
      group.remove();
    }
  }

  private Termination waitForExit() {
    jnr.ffi.Pointer info = jnr.ffi.Memory.allocateDirect(jnr.ffi.Runtime.getRuntime(libc), LibC.SIGINFO_SIZE);
    // Wait without reaping first, so that kill() can be fenced off before the pid may be reused.
    while (libc.waitid(LibC.P_PID, pid, info, LibC.WEXITED | LibC.WNOWAIT) != 0) {
      if (LibC.errno() != LibC.EINTR) {
        throw new IllegalStateException("waitid(" + pid + ") failed: errno " + LibC.errno());
      }
    }
    synchronized (lock) {
      exited = true;
    }
    timeout.cancel(false);
    int[] status = new int[1];
    while (libc.waitpid(pid, status, 0) < 0) {
      if (LibC.errno() != LibC.EINTR) {
        throw new IllegalStateException("waitpid(" + pid + ") failed: errno " + LibC.errno());
      }
    }
    return Termination.fromWaitStatus(status[0]);
  }

  private void complete(Termination bwrap, Captured out, Captured err, BwrapStatus status, AfterExit after) {
    long endNanos = System.nanoTime();
    long started = childStartedNanos;
    KillReason killedBy;
    synchronized (lock) {
      killedBy = killReason;
    }
    Outcomes.Verdict verdict = Outcomes.classify(killedBy, bwrap, status, err.head, spec.timeout(),
        after.usage().oomKills(), spec.limits().memoryBytes());
    if (killedBy == KillReason.SETUP && setupFailure != null) {
      verdict = new Outcomes.Verdict(verdict.status(), verdict.message() + ": " + setupFailure);
    }
    Termination termination = status.exitCode().isPresent() && bwrap instanceof Termination.Exited
        ? new Termination.Exited(status.exitCode().getAsInt())
        : bwrap;
    outcome.complete(new RunOutcome(
        verdict.status(),
        termination,
        out.bytes,
        err.bytes,
        out.truncated,
        err.truncated,
        started == 0 ? -1 : (started - startNanos) / 1000,
        (endNanos - (started == 0 ? startNanos : started)) / 1000,
        verdict.message(),
        out.total,
        err.total,
        after.usage(),
        spec.limits(),
        after.files()));
  }

  /**
   * @param bytes what is kept for the result (nothing when streaming: the chunks went out already)
   * @param head the first bytes in every case, so bubblewrap's own error can be told even when streaming
   */
  private record Captured(byte[] bytes, boolean truncated, byte[] head, long total) {}

  /** bubblewrap's setup errors are one or two short lines at the start of stderr. */
  private static final int DIAGNOSTIC_HEAD_BYTES = 4096;

  private Captured drain(int fd, OutputSink.Stream stream) {
    OutputBudget budget = new OutputBudget(spec.maxOutputBytes());
    BoundedBuffer kept = sink == null ? new BoundedBuffer(spec.maxOutputBytes()) : null;
    BoundedBuffer head = sink == null ? null : new BoundedBuffer(DIAGNOSTIC_HEAD_BYTES);
    byte[] chunk = new byte[BwrapLauncher.CHUNK];
    long total = 0;
    try {
      while (true) {
        long n = LibC.readRetrying(libc, fd, chunk);
        if (n == 0) {
          break;
        }
        if (n < 0) {
          LOG.warning("run " + spec.runId() + ": reading " + stream + " failed: errno " + LibC.errno());
          break;
        }
        total += n;
        int keep = budget.admit((int) n);
        if (keep == 0) {
          continue;
        }
        if (sink != null) {
          sink.chunk(stream, Arrays.copyOf(chunk, keep));
          head.append(chunk, Math.min(keep, DIAGNOSTIC_HEAD_BYTES - head.size()));
        } else {
          kept.append(chunk, keep);
        }
      }
    } finally {
      libc.close(fd);
    }
    byte[] bytes = kept == null ? new byte[0] : kept.toByteArray();
    return new Captured(bytes, budget.truncated(), head == null ? bytes : head.toByteArray(), total);
  }

  private BwrapStatus readStatus() {
    StringBuilder text = statusText;
    byte[] chunk = new byte[4096];
    try {
      while (true) {
        long n = LibC.readRetrying(libc, statusFd, chunk);
        if (n <= 0) {
          break;
        }
        if (text.length() < 64 * 1024) {
          text.append(new String(chunk, 0, (int) n, StandardCharsets.UTF_8));
        }
        if (childStartedNanos == 0 && BwrapStatus.parse(text.toString()).childPid().isPresent()) {
          childStartedNanos = System.nanoTime();
        }
      }
    } finally {
      libc.close(statusFd);
    }
    return BwrapStatus.parse(text.toString());
  }

  private void feedStdin() {
    byte[] data = spec.stdin();
    int off = 0;
    try {
      while (off < data.length) {
        // Slices of one pipe buffer: a write returns after what fits, so no large copy is repeated.
        byte[] slice = Arrays.copyOfRange(data, off, Math.min(data.length, off + BwrapLauncher.CHUNK));
        long n = libc.write(stdinFd, slice, slice.length);
        if (n < 0) {
          int errno = LibC.errno();
          if (errno == LibC.EINTR) {
            continue;
          }
          // EPIPE: the command closed stdin or ended without reading it all, which is its right.
          if (errno != LibC.EPIPE) {
            LOG.fine("run " + spec.runId() + ": writing stdin failed: errno " + errno);
          }
          return;
        }
        off += (int) n;
      }
    } finally {
      libc.close(stdinFd);
    }
  }
}
