package dev.phantom.zygote.pool;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;

/** Reads the host's memory figures from /proc: what is available, a process tree's PSS. */
public class HostMemory {

  /** MemAvailable of /proc/meminfo, in bytes; 0 when unknown. */
  public long availableBytes() {
    return kibField(Path.of("/proc/meminfo"), "MemAvailable:") << 10;
  }

  /**
   * Proportional set size of {@code pid} and every process below it, in bytes: what the tree costs with
   * shared pages divided among their sharers. 0 when the process is gone.
   */
  public long treePssBytes(int pid) {
    long total = 0;
    Deque<Integer> todo = new ArrayDeque<>();
    Set<Integer> seen = new HashSet<>();
    todo.add(pid);
    while (!todo.isEmpty()) {
      int p = todo.poll();
      if (!seen.add(p)) {
        continue;
      }
      total += kibField(Path.of("/proc", Integer.toString(p), "smaps_rollup"), "Pss:") << 10;
      try (var tasks = Files.newDirectoryStream(Path.of("/proc", Integer.toString(p), "task"))) {
        for (Path task : tasks) {
          String children = Files.readString(task.resolve("children")).strip();
          if (!children.isEmpty()) {
            for (String child : children.split(" ")) {
              todo.add(Integer.parseInt(child));
            }
          }
        }
      } catch (IOException | RuntimeException e) {
        // the process ended while it was read
      }
    }
    return total;
  }

  private static long kibField(Path file, String name) {
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith(name)) {
          return Long.parseLong(line.substring(name.length()).strip().split(" ")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // unreadable or gone
    }
    return 0;
  }
}
