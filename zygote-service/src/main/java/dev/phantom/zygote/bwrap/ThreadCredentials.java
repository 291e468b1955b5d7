package dev.phantom.zygote.bwrap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.IntSupplier;
import java.util.logging.Logger;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Starts processes as the sandbox user without an exec of {@code setpriv}: the spawning thread takes the
 * sandbox user's ids for the length of one {@code posix_spawn} and then takes its own back.
 *
 * <p>Linux keeps credentials per thread; glibc's {@code setresuid} and friends change every thread of the
 * process (through a signal to each), the raw system calls only the caller. A process inherits the
 * credentials of the thread that forks it. So the spawning thread drops its supplementary groups, sets all
 * three group ids and its real and effective user ids to the sandbox user's, keeping only its saved user id
 * 0, spawns, and returns to root through that saved id. The child's exec makes its saved ids its effective
 * ones and, as the file has no capabilities, leaves it none: the same credentials as {@code setpriv
 * --reuid --regid --clear-groups} gave, one exec (about 1.1 ms of CPU here) fewer per spawn. Between the
 * drop and the return the thread runs only these native calls.
 *
 * <p>Used only where a self-test at start shows the kernel and this process behave as described (root with
 * CAP_SETUID and CAP_SETGID, x86_64 or aarch64); otherwise spawns keep setpriv.
 */
final class ThreadCredentials {

  private static final Logger LOG = Logger.getLogger(ThreadCredentials.class.getName());

  /** setgroups, setresuid, setresgid. */
  private record Numbers(long setgroups, long setresuid, long setresgid) {
    static Optional<Numbers> forArch(String arch) {
      return switch (arch) {
        case "amd64", "x86_64" -> Optional.of(new Numbers(116, 117, 119));
        case "aarch64" -> Optional.of(new Numbers(159, 147, 149));
        default -> Optional.empty();
      };
    }
  }

  private final LibC libc;
  private final Numbers numbers;
  private final int uid;
  private final int gid;
  private final int[] ownGids;
  private final int[] ownGroups;
  private final Pointer ownGroupList;

  private ThreadCredentials(LibC libc, Numbers numbers, int uid, int gid, int[] ownGids, int[] ownGroups) {
    this.libc = libc;
    this.numbers = numbers;
    this.uid = uid;
    this.gid = gid;
    this.ownGids = ownGids;
    this.ownGroups = ownGroups;
    this.ownGroupList = Memory.allocateDirect(jnr.ffi.Runtime.getRuntime(libc), Math.max(1, ownGroups.length) * 4);
    for (int i = 0; i < ownGroups.length; i++) {
      ownGroupList.putInt(i * 4L, ownGroups[i]);
    }
  }

  /**
   * The way to spawn as {@code uid}:{@code gid} on this host, or empty when this process is not root or the
   * self-test fails (then setpriv is used, as before).
   */
  static Optional<ThreadCredentials> forSandboxUser(int uid, int gid) {
    if (!BwrapLauncher.runningAsRoot() || uid == 0
        || "false".equals(System.getProperty("phantom.zygote.threadCredentials"))) {
      return Optional.empty();
    }
    Optional<Numbers> numbers = Numbers.forArch(System.getProperty("os.arch"));
    if (numbers.isEmpty()) {
      return Optional.empty();
    }
    try {
      LibC libc = LibC.get();
      int[] r = new int[1];
      int[] e = new int[1];
      int[] s = new int[1];
      int n = libc.getgroups(0, null);
      int[] groups = new int[Math.max(n, 0)];
      if (libc.getresgid(r, e, s) != 0 || n < 0 || libc.getgroups(groups.length, groups) != n) {
        return Optional.empty();
      }
      ThreadCredentials credentials = new ThreadCredentials(libc, numbers.get(), uid, gid, new int[] {r[0], e[0], s[0]}, groups);
      String problem = credentials.selfTest();
      if (problem != null) {
        LOG.warning("spawning as the sandbox user through setpriv: " + problem);
        return Optional.empty();
      }
      return Optional.of(credentials);
    } catch (RuntimeException | LinkageError e) {
      LOG.warning("spawning as the sandbox user through setpriv: " + e);
      return Optional.empty();
    }
  }

  /**
   * Runs {@code spawn} (a native spawn and nothing else) with this thread as the sandbox user; returns its
   * result. Throws {@link IllegalStateException} when the ids cannot be taken, and an {@link Error} when this
   * thread cannot take its own back (it must not go on as anyone else).
   */
  int asSandboxUser(IntSupplier spawn) {
    if (Thread.currentThread().isVirtual()) {
      // A virtual thread may move to another carrier between two native calls, and the ids with it.
      throw new IllegalStateException("credentials are per carrier thread: spawn from a platform thread");
    }
    String failed = drop();
    try {
      if (failed != null) {
        throw new IllegalStateException("cannot take the sandbox user's ids: " + failed);
      }
      return spawn.getAsInt();
    } finally {
      String back = restore();
      if (back != null) {
        throw new Error("this thread cannot take back its own ids after a spawn: " + back);
      }
    }
  }

  /** Null when done; what failed otherwise. */
  private String drop() {
    if (libc.syscall(numbers.setgroups, 0, 0, 0) != 0) {
      return "setgroups errno " + LibC.errno();
    }
    if (libc.syscall(numbers.setresgid, gid, gid, gid) != 0) {
      return "setresgid errno " + LibC.errno();
    }
    // The saved uid stays 0: the way back, and what keeps the thread's permitted capabilities meanwhile.
    if (libc.syscall(numbers.setresuid, uid, uid, 0) != 0) {
      return "setresuid errno " + LibC.errno();
    }
    return null;
  }

  private String restore() {
    if (libc.syscall(numbers.setresuid, 0, 0, 0) != 0) {
      return "setresuid errno " + LibC.errno();
    }
    if (libc.syscall(numbers.setresgid, ownGids[0], ownGids[1], ownGids[2]) != 0) {
      return "setresgid errno " + LibC.errno();
    }
    if (libc.syscall(numbers.setgroups, ownGroups.length, ownGroupList.address(), 0) != 0) {
      return "setgroups errno " + LibC.errno();
    }
    return null;
  }

  /**
   * On a thread of its own: the ids and capabilities while dropped and after the return are what this class
   * promises, and the other threads never changed. Null when so.
   */
  private String selfTest() {
    String[] problem = new String[1];
    String before = status("self");
    Thread probe = Thread.ofPlatform().name("zygote-credentials-test").unstarted(() -> {
      String own = status("thread-self");
      try {
        asSandboxUser(() -> {
          String dropped = status("thread-self");
          String expectUid = "Uid:\t" + uid + "\t" + uid + "\t0\t" + uid;
          if (!line(dropped, "Uid:").equals(expectUid) || !line(dropped, "CapEff:").equals("CapEff:\t0000000000000000")
              || !line(dropped, "Groups:").strip().equals("Groups:")) {
            problem[0] = "while dropped: " + line(dropped, "Uid:") + ", " + line(dropped, "CapEff:") + ", " + line(dropped, "Groups:");
          } else if (!line(status("self"), "Uid:").equals(line(before, "Uid:"))) {
            problem[0] = "the process's main thread changed ids too";
          }
          return 0;
        });
      } catch (RuntimeException | Error e) {
        problem[0] = e.getMessage();
        return;
      }
      String after = status("thread-self");
      for (String key : new String[] {"Uid:", "Gid:", "Groups:", "CapEff:", "CapPrm:"}) {
        if (problem[0] == null && !line(after, key).equals(line(own, key))) {
          problem[0] = "not restored: " + line(after, key) + " (was " + line(own, key) + ")";
        }
      }
    });
    probe.start();
    try {
      probe.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
    return problem[0];
  }

  private static String status(String which) {
    try {
      return Files.readString(Path.of("/proc/" + which + "/status"));
    } catch (IOException e) {
      return "";
    }
  }

  private static String line(String status, String key) {
    return status.lines().filter(l -> l.startsWith(key)).findFirst().orElse(key + " ?");
  }
}
