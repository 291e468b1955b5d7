package dev.phantom.support.process;

import java.nio.file.Path;
import java.util.List;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.Out;

/**
 * Runs a command the way a lean caller (a shell, hyperfine, Python's subprocess) does: one
 * {@code posix_spawnp} and a {@code waitpid}, output to /dev/null. For the benchmarks' baselines: Java's
 * ProcessBuilder starts every command through {@code jspawnhelper} (two execs) and a reaper thread,
 * which added 0.6-1 ms to host {@code true} (1.5-1.9 ms instead of 0.9-1.0) and more to bubblewrap on a
 * busy JVM; a baseline should carry no overhead of the tool that measures it.
 */
public final class DirectSpawn {

  /** The libc calls used here; glibc's spawn returns an error number instead of setting errno. */
  public interface Calls {
    int posix_spawn_file_actions_init(Pointer actions);

    int posix_spawn_file_actions_addopen(Pointer actions, int fd, String path, int flags, int mode);

    int posix_spawn_file_actions_destroy(Pointer actions);

    int posix_spawnp(@Out int[] pid, String file, Pointer actions, Pointer attr, Pointer argv, Pointer envp);

    int waitpid(int pid, @Out int[] status, int options);
  }

  /** Generous upper bound of glibc's posix_spawn_file_actions_t (80 bytes on 64-bit). */
  private static final int FILE_ACTIONS_SIZE = 256;
  private static final int O_RDONLY = 0;
  private static final int O_WRONLY = 1;
  private static final int EINTR = 4;

  private static final class Holder {
    static final Calls LIBC = LibraryLoader.create(Calls.class).load("c");
    /** The caller's environment as envp, built once: not part of any spawn that is timed. */
    static final NativeStrings ENV = NativeStrings.of(Runtime.getRuntime(LIBC), System.getenv().entrySet().stream()
        .map(e -> e.getKey() + "=" + e.getValue()).toList());
  }

  private DirectSpawn() {}

  /**
   * Runs {@code argv} (its first word looked up on PATH) with the caller's environment, {@code stdin} (or
   * /dev/null) as its standard input and /dev/null as its output; returns its exit code, or 128 + the
   * signal that killed it.
   *
   * @throws IllegalStateException when it cannot be started
   */
  public static int run(List<String> argv, Path stdin) {
    Calls libc = Holder.LIBC;
    Runtime runtime = Runtime.getRuntime(libc);
    Pointer actions = Memory.allocateDirect(runtime, FILE_ACTIONS_SIZE, true);
    libc.posix_spawn_file_actions_init(actions);
    try {
      check(libc.posix_spawn_file_actions_addopen(actions, 0, stdin == null ? "/dev/null" : stdin.toString(), O_RDONLY, 0));
      check(libc.posix_spawn_file_actions_addopen(actions, 1, "/dev/null", O_WRONLY, 0));
      check(libc.posix_spawn_file_actions_addopen(actions, 2, "/dev/null", O_WRONLY, 0));
      NativeStrings nativeArgv = NativeStrings.of(runtime, argv);
      int[] pid = new int[1];
      int rc = libc.posix_spawnp(pid, argv.getFirst(), actions, null, nativeArgv.pointer(), Holder.ENV.pointer());
      java.lang.ref.Reference.reachabilityFence(nativeArgv);
      if (rc != 0) {
        throw new IllegalStateException("cannot start " + argv.getFirst() + ": errno " + rc);
      }
      int[] status = new int[1];
      while (libc.waitpid(pid[0], status, 0) < 0) {
        if (runtime.getLastError() != EINTR) {
          throw new IllegalStateException("waitpid(" + pid[0] + ") failed");
        }
      }
      int signal = status[0] & 0x7f;
      return signal == 0 ? (status[0] >> 8) & 0xff : 128 + signal;
    } finally {
      libc.posix_spawn_file_actions_destroy(actions);
    }
  }

  private static void check(int rc) {
    if (rc != 0) {
      throw new IllegalStateException("posix_spawn_file_actions_addopen failed: errno " + rc);
    }
  }
}
