package dev.phantom.zygote.bwrap;

import dev.phantom.support.trace.StageTrace;
import dev.phantom.zygote.core.BwrapStatus;
import dev.phantom.zygote.core.KillReason;
import dev.phantom.zygote.core.OutputSink;
import dev.phantom.zygote.core.Outcomes;
import dev.phantom.zygote.core.RunOutcome;
import dev.phantom.zygote.core.ResourceUsage;
import dev.phantom.zygote.core.RunSpec;
import dev.phantom.zygote.core.SlotAgent;
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

  /**
   * The read buffer of each I/O thread, reused run after run (captures copy what they keep): a fresh 64 KiB
   * per run was most of what a warm run allocated, and so most of what brought the young collections.
   */
  private static final ThreadLocal<byte[]> CHUNKS = ThreadLocal.withInitial(() -> new byte[BwrapLauncher.CHUNK]);

  private final BwrapLauncher launcher;
  private final LibC libc;
  private final RunSpec spec;
  private final int pid;
  private final long startNanos;
  /** Runs a job in a warm slot: the sandbox's first process is the slot's agent, which execs the job. */
  private final boolean warm;
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

  /**
   * @param warmStatus null for a fresh sandbox; for a warm slot, what its status fd said so far (the child
   *     pid): the slot was released long ago and the job starts now
   */
  BwrapRun(BwrapLauncher launcher, LibC libc, RunSpec spec, Spawned spawned, OutputSink sink, boolean interactive,
      StringBuilder warmStatus) {
    this.interactive = interactive;
    this.blockFd = warmStatus == null ? spawned.blockFd() : -1;
    this.group = spawned.group();
    this.workspaces = spawned.workspaces();
    this.workspace = spawned.workspace();
    this.workspaceTarget = spawned.workspaceTarget();
    this.launcher = launcher;
    this.libc = libc;
    this.spec = spec;
    this.pid = spawned.pid();
    this.stdinFd = spawned.stdinFd();
    this.stdoutFd = spawned.stdoutFd();
    this.stderrFd = spawned.stderrFd();
    this.statusFd = spawned.statusFd();
    this.sink = sink;
    this.warm = warmStatus != null;
    if (warm) {
      statusText.append(warmStatus);
      this.startNanos = System.nanoTime();
      this.childStartedNanos = startNanos;
    } else {
      this.startNanos = spawned.startNanos();
    }
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
  public java.util.Optional<java.nio.file.Path> workspaceDir() {
    return java.util.Optional.ofNullable(workspace).map(Workspaces.Workspace::dir);
  }

  @Override
  public boolean freeze(boolean frozen, long timeoutMillis) {
    return group != null && group.freeze(frozen, timeoutMillis);
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
      // the cgroup catches whatever is still on its way out. A forked slot (pid -1) has only its cgroup.
      if (pid > 0) {
        libc.kill(pid, LibC.SIGKILL);
      }
      group.killAll();
    }
    launcher.killed();
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
    timeout = timer.schedule(() -> kill(KillReason.TIMEOUT), spec.timeout().toNanos(), TimeUnit.NANOSECONDS);
    if (interactive) {
      startThreaded(io);
      return;
    }
    StageTrace trace = StageTrace.start(warm ? "zygote.slot" : "zygote.cold");
    if (blockFd >= 0) {
      placeAndRelease();
      trace.mark("released");
    }
    if (spec.stdin().length == 0) {
      libc.close(stdinFd);
    } else {
      io.execute(this::feedStdin);
    }
    // One thread reads all of the run's output and waits for its end: a thread per descriptor cost a
    // wake-up each after the exit, more than a warm run itself on a busy host.
    // Files to collect are read once every process is gone; otherwise the reply goes out at bubblewrap's report.
    boolean replyAtExit = spec.collect().isEmpty();
    io.execute(() -> finish(() -> {
      trace.mark("io-thread");
      ResourceUsage before = warm ? group.usage() : ResourceUsage.NONE;
      trace.mark("usage-before");
      StreamCapture out = new StreamCapture(OutputSink.Stream.STDOUT, sink, spec.maxOutputBytes());
      StreamCapture err = new StreamCapture(OutputSink.Stream.STDERR, sink, spec.maxOutputBytes());
      pollOutputs(out, err, replyAtExit, trace);
      trace.mark("eof");
      BwrapStatus status = BwrapStatus.parse(statusText.toString());
      if (replyAtExit && status.exitCode().isPresent() && notKilled()) {
        replyBeforeReaping(status, before, out, err, trace);
        return;
      }
      Termination bwrap = waitForExit();
      trace.mark("reaped");
      AfterExit after = replyAtExit ? usageAtExit(before, trace) : afterExit(before, trace);
      complete(bwrap, out.captured(), err.captured(), BwrapStatus.parse(statusText.toString()), after);
      trace.end("completed");
      if (replyAtExit) {
        killAndWait();
      }
    }));
  }

  /**
   * bubblewrap reported the command's exit and no kill came before: the reply goes out now, and bubblewrap
   * is reaped after it (waiting for its own exit cost another 0.1-0.2 ms at the median, milliseconds at the
   * 99th percentile). Its pid stays this run's until then, so a late kill() still hits only this sandbox.
   */
  private void replyBeforeReaping(BwrapStatus status, ResourceUsage before, StreamCapture out, StreamCapture err,
      StageTrace trace) {
    timeout.cancel(false);
    AfterExit after = usageAtExit(before, trace);
    complete(new Termination.Exited(status.exitCode().getAsInt()), out.captured(), err.captured(), status, after);
    trace.end("completed");
    // In the order of a run that waits: bubblewrap ends by itself right after its report, and is reaped
    // before what is left is killed, so its orphaned pid 1 goes nowhere unreaped.
    waitForExit();
    killAndWait();
  }

  private boolean notKilled() {
    synchronized (lock) {
      return killReason == null;
    }
  }

  /** An interactive run (a session's agent): its stdin stays open, so its readers are threads of their own. */
  private void startThreaded(ExecutorService io) {
    CompletableFuture<StreamCapture.Captured> out = CompletableFuture.supplyAsync(() -> drain(stdoutFd, OutputSink.Stream.STDOUT), io);
    CompletableFuture<StreamCapture.Captured> err = CompletableFuture.supplyAsync(() -> drain(stderrFd, OutputSink.Stream.STDERR), io);
    if (blockFd >= 0) {
      placeAndRelease();
    }
    CompletableFuture<BwrapStatus> status = CompletableFuture.supplyAsync(this::readStatus, io);
    // Non-blocking, so that a sandbox that stops reading can never stall the writer.
    libc.fcntl(stdinFd, LibC.F_SETFL, libc.fcntl(stdinFd, LibC.F_GETFL, 0) | LibC.O_NONBLOCK);
    io.execute(() -> finish(() -> {
      Termination bwrap = waitForExit();
      closeInput();
      complete(bwrap, out.join(), err.join(), status.join(), afterExit(ResourceUsage.NONE, StageTrace.start("zygote.session")));
    }));
  }

  /**
   * Runs {@code body} (which completes the outcome), then releases the workspace and cgroup. The release
   * comes after the reply: the caller need not wait for the unmount and the cgroup's removal. The run still
   * counts as running until they are done (launcher.finished), so nothing is reused early.
   */
  private void finish(Runnable body) {
    try {
      try {
        body.run();
      } finally {
        release();
      }
    } catch (RuntimeException | Error e) {
      LOG.log(Level.SEVERE, "run " + spec.runId() + " failed in the zygote", e);
      outcome.completeExceptionally(e);
    } finally {
      launcher.finished(this);
      released.complete(null);
    }
  }

  /**
   * Reads stdout, stderr and bubblewrap's status with poll(2) on non-blocking descriptors until all three
   * reach end of file (every writer in the sandbox gone), or with {@code untilExit} until bubblewrap has
   * reported the command's exit (a whole exit-code document on its status descriptor) and then whatever
   * the other two hold at that moment. Closes them.
   *
   * <p>Why stop at bubblewrap's report: bubblewrap reports the command's exit as soon as its init (the
   * sandbox's pid 1) sees it, while the init still holds stdout and stderr until the kernel has torn down
   * the sandbox's namespaces, which took another 0.3 ms at the median and milliseconds at the 90th
   * percentile. Everything the command wrote before it exited is in the pipes by then. What processes it
   * left behind write while the sandbox is being torn down (they are killed with it) is not kept, as it was
   * already a race with that teardown.
   */
  private void pollOutputs(StreamCapture out, StreamCapture err, boolean untilExit, StageTrace trace) {
    int[] fds = {stdoutFd, stderrFd, statusFd};
    boolean[] open = {true, true, true};
    for (int fd : fds) {
      libc.fcntl(fd, LibC.F_SETFL, libc.fcntl(fd, LibC.F_GETFL, 0) | LibC.O_NONBLOCK);
    }
    jnr.ffi.Pointer polled = jnr.ffi.Memory.allocateDirect(jnr.ffi.Runtime.getRuntime(libc), fds.length * LibC.POLLFD_SIZE, true);
    byte[] chunk = CHUNKS.get();
    int[] slotOf = new int[fds.length];
    try {
      while (open[0] || open[1] || open[2]) {
        if (untilExit && !open[2]) {
          for (int i = 0; i < 2; i++) {
            if (open[i]) {
              open[i] = readAvailable(fds[i], chunk, i == 0 ? out : err);
            }
          }
          trace.mark("drained");
          return;
        }
        int n = 0;
        for (int i = 0; i < fds.length; i++) {
          if (open[i]) {
            polled.putInt((long) n * LibC.POLLFD_SIZE, fds[i]);
            polled.putShort((long) n * LibC.POLLFD_SIZE + 4, LibC.POLLIN);
            polled.putShort((long) n * LibC.POLLFD_SIZE + 6, (short) 0);
            slotOf[n++] = i;
          }
        }
        if (libc.poll(polled, n, -1) < 0) {
          if (LibC.errno() == LibC.EINTR) {
            continue;
          }
          throw new IllegalStateException("poll failed: errno " + LibC.errno());
        }
        for (int k = 0; k < n; k++) {
          if (polled.getShort((long) k * LibC.POLLFD_SIZE + 6) != 0) {
            int i = slotOf[k];
            open[i] = readAvailable(fds[i], chunk, i == 0 ? out : i == 1 ? err : null);
            if (!open[i]) {
              trace.mark(i == 0 ? "stdout-eof" : i == 1 ? "stderr-eof" : "status-eof");
            } else if (i == 2) {
              trace.mark("status");
              // The sandbox's init holds the status descriptor too, so its end of file waits for the
              // namespaces' teardown (about a millisecond): the exit-code document is the report.
              if (untilExit && BwrapStatus.exitReported(statusText.toString())) {
                open[2] = false;
              }
            }
          }
        }
      }
    } finally {
      for (int fd : fds) {
        libc.close(fd);
      }
    }
  }

  /** Reads what {@code fd} has now; false at end of file (or a read error, logged). */
  private boolean readAvailable(int fd, byte[] chunk, StreamCapture capture) {
    while (true) {
      long n = libc.read(fd, chunk, chunk.length);
      if (n > 0) {
        if (capture != null) {
          capture.accept(chunk, (int) n);
        } else {
          status(chunk, (int) n);
        }
        continue;
      }
      if (n == 0) {
        return false;
      }
      int errno = LibC.errno();
      if (errno == LibC.EINTR) {
        continue;
      }
      if (errno == LibC.EAGAIN) {
        return true;
      }
      LOG.warning("run " + spec.runId() + ": reading fd " + fd + " failed: errno " + errno);
      return false;
    }
  }

  /** Bubblewrap's JSON status documents; the child pid in them marks when the sandbox started. */
  private void status(byte[] chunk, int n) {
    if (statusText.length() < 64 * 1024) {
      statusText.append(new String(chunk, 0, n, StandardCharsets.UTF_8));
    }
    if (childStartedNanos == 0) {
      var child = BwrapStatus.parse(statusText.toString()).childPid();
      if (child.isPresent()) {
        childStartedNanos = System.nanoTime();
        launcher.started(child.getAsInt()); // a parked launcher's sandbox: its pid is known only now
      }
    }
  }

  /**
   * The sandbox's first process is blocked on --block-fd: read its pid from the status fd, move bubblewrap
   * and it into the cgroup, set its rlimits, then let it go. Everything the command forks later inherits
   * both. On any failure the sandbox is killed before it is released, so no command ever runs unconfined.
   */
  private void placeAndRelease() {
    try {
      if (SandboxRelease.placeAndRelease(launcher, libc, new Spawned(pid, startNanos, stdinFd, stdoutFd, stderrFd,
          statusFd, blockFd, group, workspaces, workspace, workspaceTarget), spec.limits(), statusText) >= 0) {
        childStartedNanos = System.nanoTime();
      }
    } catch (RuntimeException e) {
      setupFailure = e.getMessage();
      LOG.warning("run " + spec.runId() + ": " + e.getMessage());
      kill(KillReason.SETUP);
    }
  }

  /** What is learned once bubblewrap is gone: every process killed, usage read, files collected. */
  private record AfterExit(ResourceUsage usage, List<WorkspaceFile> files) {}

  /**
   * The usage once bubblewrap has exited, before the sandbox's last processes are gone (what they still
   * spend while being killed is not counted); {@link #afterExit} then kills and waits for them.
   */
  private AfterExit usageAtExit(ResourceUsage before, StageTrace trace) {
    ResourceUsage usage = ResourceUsage.NONE;
    try {
      usage = group.usage().since(before);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "run " + spec.runId() + ": reading usage failed", e);
    }
    trace.mark("usage");
    return new AfterExit(usage, List.of());
  }

  private AfterExit afterExit(ResourceUsage before, StageTrace trace) {
    ResourceUsage usage = ResourceUsage.NONE;
    List<WorkspaceFile> files = List.of();
    try {
      killAndWait();
      trace.mark("cgroup-empty");
      usage = group.usage().since(before);
      trace.mark("usage");
      if (workspace != null && !spec.collect().isEmpty()) {
        files = workspaces.collect(workspace, workspaceTarget, spec.collect(), launcher.maxCollectEach(spec),
            launcher.maxCollectTotal(spec));
      }
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "run " + spec.runId() + ": reading usage or collecting files failed", e);
    }
    return new AfterExit(usage, files);
  }

  /** Kills whatever is left of the sandbox and waits until its cgroup is empty (at most 5 s). */
  private void killAndWait() {
    if (!group.killAndWait(5000)) {
      LOG.warning("run " + spec.runId() + ": processes still in the cgroup after 5 s of SIGKILL");
    }
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
      if (pid >= 0) { // a forked slot's init lives in its fork server's pid namespace, not below this process
        BwrapStatus.parse(statusText.toString()).childPid().ifPresent(launcher::ended);
      }
    }
  }

  private Termination waitForExit() {
    if (pid < 0) {
      return forkedSlotEnd();
    }
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
    BwrapLauncherProcesses.reaped(pid);
    return Termination.fromWaitStatus(status[0]);
  }

  /**
   * A forked slot is no child of this process: its init's report is its end (its status pipe has reached end
   * of file or the report is whole by now), and a slot killed before reporting ended by SIGKILL.
   */
  private Termination forkedSlotEnd() {
    synchronized (lock) {
      exited = true;
    }
    timeout.cancel(false);
    var code = BwrapStatus.parse(statusText.toString()).exitCode();
    return code.isPresent() ? new Termination.Exited(code.getAsInt()) : new Termination.Signaled(LibC.SIGKILL);
  }

  private void complete(Termination bwrap, StreamCapture.Captured out, StreamCapture.Captured err, BwrapStatus status, AfterExit after) {
    long endNanos = System.nanoTime();
    long started = childStartedNanos;
    KillReason killedBy;
    synchronized (lock) {
      killedBy = killReason;
    }
    Outcomes.Verdict verdict = Outcomes.classify(killedBy, bwrap, status, err.head(), spec.timeout(),
        after.usage().oomKills(), spec.limits().memoryBytes());
    if (warm) {
      verdict = SlotAgent.classifyStart(verdict, status, err.head());
    }
    if (killedBy == KillReason.SETUP && setupFailure != null) {
      verdict = new Outcomes.Verdict(verdict.status(), verdict.message() + ": " + setupFailure);
    }
    Termination termination = status.exitCode().isPresent() && bwrap instanceof Termination.Exited
        ? new Termination.Exited(status.exitCode().getAsInt())
        : bwrap;
    outcome.complete(new RunOutcome(
        verdict.status(),
        termination,
        out.bytes(),
        err.bytes(),
        out.truncated(),
        err.truncated(),
        started == 0 ? -1 : (started - startNanos) / 1000,
        (endNanos - (started == 0 ? startNanos : started)) / 1000,
        verdict.message(),
        out.total(),
        err.total(),
        after.usage(),
        spec.limits(),
        after.files()));
  }

  private StreamCapture.Captured drain(int fd, OutputSink.Stream stream) {
    StreamCapture capture = new StreamCapture(stream, sink, spec.maxOutputBytes());
    byte[] chunk = new byte[BwrapLauncher.CHUNK];
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
        capture.accept(chunk, (int) n);
      }
    } finally {
      libc.close(fd);
    }
    return capture.captured();
  }

  private BwrapStatus readStatus() {
    byte[] chunk = new byte[4096];
    try {
      while (true) {
        long n = LibC.readRetrying(libc, statusFd, chunk);
        if (n <= 0) {
          break;
        }
        status(chunk, (int) n);
      }
    } finally {
      libc.close(statusFd);
    }
    return BwrapStatus.parse(statusText.toString());
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
