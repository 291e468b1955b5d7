package dev.phantom.zygote.bwrap;

import dev.phantom.support.trace.StageTrace;
import dev.phantom.zygote.core.BwrapStatus;
import dev.phantom.zygote.core.ResourceLimits;
import java.nio.charset.StandardCharsets;

/**
 * The --block-fd handshake: bubblewrap's first process in the sandbox waits until the zygote has moved it
 * (and bubblewrap) into the run's cgroup and set its rlimits. Everything it forks later inherits both.
 */
final class SandboxRelease {

  private SandboxRelease() {}

  /**
   * Reads the child pid from the status fd, places and limits it, then writes the release byte. Closes the
   * block fd in every case: on failure the sandbox's first process sees EOF, but the caller must kill it
   * before that matters, so no command ever runs unconfined.
   *
   * @param statusText receives what was read from the status fd
   * @return the sandbox's first process, or -1 when bubblewrap failed before making it (its stderr says why)
   * @throws IllegalStateException when a step failed
   */
  static int placeAndRelease(BwrapLauncher launcher, LibC libc, Spawned spawned, ResourceLimits limits,
      StringBuilder statusText) {
    StageTrace trace = StageTrace.start("zygote.release");
    try {
      int child = readUntilChildPid(libc, spawned.statusFd(), statusText);
      if (child < 0) {
        return -1;
      }
      trace.mark("child-pid");
      spawned.group().add(spawned.pid());
      spawned.group().add(child);
      trace.mark("in-cgroup");
      if (launcher.rlimitsBySyscall()) {
        setRlimit(libc, child, LibC.RLIMIT_CORE, 0);
        if (limits.maxOpenFiles() > 0) {
          setRlimit(libc, child, LibC.RLIMIT_NOFILE, limits.maxOpenFiles());
        }
        if (limits.maxFileSizeBytes() > 0) {
          setRlimit(libc, child, LibC.RLIMIT_FSIZE, limits.maxFileSizeBytes());
        }
      }
      if (libc.write(spawned.blockFd(), new byte[] {'1'}, 1) != 1) {
        throw new IllegalStateException("releasing the sandbox failed: errno " + LibC.errno());
      }
      // While the sandbox makes its mounts: it is in its namespaces since bubblewrap cloned it.
      launcher.started(child);
      trace.end("released");
      return child;
    } finally {
      libc.close(spawned.blockFd());
    }
  }

  /** Reads bubblewrap's status documents until the child pid is known; -1 at EOF before it. */
  static int readUntilChildPid(LibC libc, int statusFd, StringBuilder statusText) {
    byte[] chunk = new byte[4096];
    while (true) {
      long n = LibC.readRetrying(libc, statusFd, chunk);
      if (n <= 0) {
        return -1;
      }
      statusText.append(new String(chunk, 0, (int) n, StandardCharsets.UTF_8));
      var childPid = BwrapStatus.parse(statusText.toString()).childPid();
      if (childPid.isPresent()) {
        return childPid.getAsInt();
      }
    }
  }

  private static void setRlimit(LibC libc, int target, int resource, long value) {
    jnr.ffi.Pointer limit = jnr.ffi.Memory.allocateDirect(jnr.ffi.Runtime.getRuntime(libc), 16);
    limit.putLong(0, value);
    limit.putLong(8, value);
    if (libc.prlimit(target, resource, limit, null) != 0) {
      throw new IllegalStateException("prlimit(" + target + ", " + resource + ", " + value + ") failed: errno " + LibC.errno());
    }
  }
}
