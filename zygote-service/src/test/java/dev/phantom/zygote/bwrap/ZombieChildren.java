package dev.phantom.zygote.bwrap;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * This JVM's children that died and were not reaped: each holds a pid, and a sandbox's init its user namespace.
 * It walks the children itself rather than through {@link OrphanReaper}'s sweep, so that a fault in that walk
 * cannot hide the zombies it is meant to find.
 */
public final class ZombieChildren {

  private ZombieChildren() {}

  /** Pids of this process's zombie children named {@code comm}. */
  public static List<Integer> named(String comm) throws IOException {
    List<Integer> zombies = new ArrayList<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
      for (Path task : tasks) {
        String children;
        try {
          children = Files.readString(task.resolve("children")).strip();
        } catch (IOException e) {
          continue; // the thread ended
        }
        for (String child : children.isEmpty() ? new String[0] : children.split(" ")) {
          try {
            String stat = Files.readString(Path.of("/proc", child, "stat"));
            boolean zombie = stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
            if (zombie && stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).equals(comm)) {
              zombies.add(Integer.parseInt(child));
            }
          } catch (IOException e) {
            // reaped while we looked
          }
        }
      }
    }
    return zombies;
  }

  /** Waits up to {@code millis} for no zombie named {@code comm} to be left; returns those left. */
  public static List<Integer> awaitNone(String comm, long millis) throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    List<Integer> left = named(comm);
    while (!left.isEmpty() && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
      left = named(comm);
    }
    return left;
  }
}
