package dev.phantom.zygote.bwrap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The bubblewrap processes this JVM spawned and will reap itself (each has a waiter), so that the orphan
 * reaper never takes one of them.
 */
final class BwrapLauncherProcesses {

  private static final Set<Integer> TRACKED = ConcurrentHashMap.newKeySet();

  private BwrapLauncherProcesses() {}

  static void spawned(int pid) {
    TRACKED.add(pid);
  }

  static void reaped(int pid) {
    TRACKED.remove(pid);
  }

  static boolean tracked(int pid) {
    return TRACKED.contains(pid);
  }

  /** The real uid of {@code pid}, or -1 when it is gone. */
  static int uidOf(int pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
        if (line.startsWith("Uid:")) {
          return Integer.parseInt(line.substring(4).strip().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // gone
    }
    return -1;
  }
}
