package dev.phantom.zygote.cgroup;

import dev.phantom.zygote.bwrap.LibC;
import dev.phantom.zygote.host.ProcessStat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/** Reading and writing cgroupfs files, shared by both versions. */
final class CgroupFiles {

  private CgroupFiles() {}

  static void write(Path file, String value) throws IOException {
    // One write(2) of the whole value: cgroupfs takes each write as one command.
    Files.write(file, value.getBytes(StandardCharsets.US_ASCII));
  }

  static Optional<String> read(Path file) {
    try {
      return Optional.of(Files.readString(file, StandardCharsets.US_ASCII));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  static OptionalLong readLong(Path file) {
    return read(file).map(String::strip).map(CgroupFiles::number).orElse(OptionalLong.empty());
  }

  /**
   * A decimal count, else empty (also when too large for a long). Values are read after every run (usage):
   * checked by hand rather than with a regular expression compiled per value.
   */
  static OptionalLong number(String s) {
    if (s.isEmpty()) {
      return OptionalLong.empty();
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return OptionalLong.empty();
      }
    }
    try {
      return OptionalLong.of(Long.parseLong(s));
    } catch (NumberFormatException tooLarge) {
      return OptionalLong.empty();
    }
  }

  private static final Pattern BLANKS = Pattern.compile("\\s+");

  /** The value of {@code key} in a flat-keyed file ("key value" lines: cpu.stat, memory.events, oom_control). */
  static OptionalLong keyed(Path file, String key) {
    Optional<String> text = read(file);
    if (text.isEmpty()) {
      return OptionalLong.empty();
    }
    for (String line : text.get().split("\n")) {
      String[] f = BLANKS.split(line.trim());
      OptionalLong value = f.length == 2 && f[0].equals(key) ? number(f[1]) : OptionalLong.empty();
      if (value.isPresent()) {
        return value;
      }
    }
    return OptionalLong.empty();
  }

  static List<Integer> pids(Path group) {
    List<Integer> pids = new ArrayList<>();
    read(group.resolve("cgroup.procs")).ifPresent(text -> {
      for (String line : text.split("\n")) {
        if (!line.isBlank()) {
          pids.add(Integer.parseInt(line.strip()));
        }
      }
    });
    return pids;
  }

  /** SIGKILL to every process listed in the group; returns how many were listed. */
  static int killListed(Path group) {
    List<Integer> pids = pids(group);
    for (int pid : pids) {
      // A pid listed in this group belongs to the sandbox: the group holds it until it is reaped.
      LibC.get().kill(pid, LibC.SIGKILL);
    }
    return pids.size();
  }

  /** True when the process is stopped (state T or t in /proc/PID/stat) or no longer exists. */
  static boolean stoppedOrGone(int pid) {
    return ProcessStat.of(pid).map(ProcessStat::stoppedOrExiting).orElse(true);
  }

  /** Removes an empty group directory, retrying while the kernel still reports it busy; true when gone. */
  static boolean rmdir(Path group, long timeoutMillis) {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    while (true) {
      try {
        Files.delete(group);
        return true;
      } catch (NoSuchFileException e) {
        return true;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          return false;
        }
        killListed(group);
        sleep(5);
      }
    }
  }

  static List<Path> children(Path dir) {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, Files::isDirectory)) {
      entries.forEach(out::add);
    } catch (IOException e) {
      // listed as empty
    }
    return out;
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A short pause while a killed group empties: its processes are usually gone within a fraction of a
   * millisecond, and every run's result waits on this, so poll finely rather than in whole milliseconds.
   */
  static void pauseWhileEmptying() {
    pauseWhileEmptying(0);
  }

  /**
   * The pause before the {@code round}-th look at a group being emptied: 0.2 ms, doubling to at most 2 ms.
   * A sandbox's namespaces take a few milliseconds to go after its last process is killed, and every look
   * reads a cgroupfs file: a fixed 0.2 ms made it a dozen reads per run, after the reply.
   */
  static void pauseWhileEmptying(int round) {
    java.util.concurrent.locks.LockSupport.parkNanos(Math.min(200_000L << Math.min(round, 4), 2_000_000L));
  }

  /** A group directory name from a run id: safe characters only, short, and unique through {@code seq}. */
  static String groupName(String runId, long seq) {
    String safe = runId.replaceAll("[^A-Za-z0-9_.-]", "_");
    if (safe.length() > 64) {
      safe = safe.substring(0, 64);
    }
    return "run-" + seq + "-" + safe;
  }
}
