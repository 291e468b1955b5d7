package dev.phantom.zygote.bwrap;

import dev.phantom.zygote.core.BwrapArgs;
import dev.phantom.zygote.core.KillReason;
import dev.phantom.zygote.core.OutputSink;
import dev.phantom.zygote.core.RunSpec;
import dev.phantom.zygote.core.SandboxLauncher;
import dev.phantom.zygote.core.SandboxProfile;
import dev.phantom.zygote.core.ZygoteException;
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
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Spawns {@code bwrap} with posix_spawn, passing the seccomp program on fd 3 and reading bubblewrap's JSON
 * status from fd 4. When the service runs as root, bubblewrap is started through {@code setpriv} as an
 * unprivileged host user, so that root inside the sandbox is never root on the host.
 *
 * <p>Threads: {@link #launch} blocks for the spawn only. Each run then uses platform threads (never
 * virtual: blocking native reads would pin the few carrier threads) for stdout, stderr, the status fd,
 * stdin when non-empty, and the wait; plus one shared timer thread for timeouts.
 */
public final class BwrapLauncher implements SandboxLauncher, AutoCloseable {

  /** Read size per native read call. */
  static final int CHUNK = 64 * 1024;

  private final BwrapInstallation installation;
  private final List<String> prefix;
  private final LibC libc = LibC.get();
  private final ExecutorService io = Executors.newThreadPerTaskExecutor(
      Thread.ofPlatform().name("zygote-io-", 0).daemon(true).stackSize(256 * 1024).factory());
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("zygote-timer").daemon(true).factory());
  private final Set<BwrapRun> running = ConcurrentHashMap.newKeySet();

  /**
   * @param sandboxUid host uid bubblewrap runs as when this process is root
   * @param sandboxGid host gid bubblewrap runs as when this process is root
   */
  public BwrapLauncher(BwrapInstallation installation, int sandboxUid, int sandboxGid) {
    this.installation = installation;
    List<String> p = new ArrayList<>();
    if (runningAsRoot() && installation.setpriv().isPresent()) {
      p.addAll(List.of(installation.setpriv().get().toString(), "--reuid=" + sandboxUid, "--regid=" + sandboxGid,
          "--clear-groups", "--"));
    }
    installation.bwrap().ifPresent(b -> p.add(b.toString()));
    this.prefix = List.copyOf(p);
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
    List<String> argv = new ArrayList<>(prefix);
    argv.addAll(BwrapArgs.build(installation.features(), profile, run));
    return argv;
  }

  /** Runs in progress, for tests and shutdown. */
  public int runningCount() {
    return running.size();
  }

  @Override
  public Running launch(SandboxProfile profile, RunSpec run, OutputSink sink) {
    if (!installation.ready()) {
      throw new ZygoteException(ZygoteException.Reason.BUBBLEWRAP_MISSING, installation.problem().get());
    }
    if (timer.isShutdown()) {
      throw new ZygoteException(ZygoteException.Reason.STOPPING, "the zygote is stopping");
    }
    List<String> argv = commandLine(profile, run);
    long startNanos = System.nanoTime();
    byte[] bpf = profile.seccompBpf();
    List<Integer> parentEnds = new ArrayList<>();
    List<Integer> childEnds = new ArrayList<>();
    try {
      Pipe stdin = open(parentEnds, childEnds, false);
      Pipe stdout = open(parentEnds, childEnds, true);
      Pipe stderr = open(parentEnds, childEnds, true);
      Pipe seccomp = bpf.length > 0 ? open(parentEnds, childEnds, false) : null;
      Pipe status = open(parentEnds, childEnds, true);
      if (seccomp != null) {
        // At most 32 KiB, below the 64 KiB pipe buffer: this write never blocks.
        writeFully(seccomp.write, bpf);
        libc.close(seccomp.write);
        parentEnds.remove(Integer.valueOf(seccomp.write));
      }
      int[] targets = {stdin.read, stdout.write, stderr.write, seccomp == null ? -1 : seccomp.read, status.write};
      int pid = spawn(argv, targets);
      closeAll(childEnds);
      BwrapRun handle = new BwrapRun(this, libc, run, pid, startNanos, stdin.write, stdout.read, stderr.read,
          status.read, sink);
      running.add(handle);
      handle.start(io, timer);
      return handle;
    } catch (RuntimeException e) {
      closeAll(childEnds);
      closeAll(parentEnds);
      throw e;
    }
  }

  void finished(BwrapRun run) {
    running.remove(run);
  }

  private Pipe open(List<Integer> parentEnds, List<Integer> childEnds, boolean childWrites) {
    Pipe pipe = Pipe.open(libc);
    parentEnds.add(childWrites ? pipe.read : pipe.write);
    childEnds.add(childWrites ? pipe.write : pipe.read);
    return pipe;
  }

  private int spawn(List<String> argv, int[] targets) {
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
          // dup2 clears close-on-exec on the copy, so only these five survive the exec.
          check(libc.posix_spawn_file_actions_adddup2(actions, targets[target], target), "adddup2");
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
      int rc = libc.posix_spawn(pid, argv.getFirst(), actions, attr, argv.toArray(String[]::new), new String[0]);
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
        throw new ZygoteException(ZygoteException.Reason.SPAWN, "writing the seccomp program failed: errno " + LibC.errno());
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
    timer.shutdownNow();
    io.shutdown();
  }

  @Override
  public void close() {
    shutdown(Duration.ofSeconds(5));
  }
}
