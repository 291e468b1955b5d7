package dev.phantom.loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Memory of processes from {@code /proc/PID/smaps_rollup}. PSS (proportional set size) divides each
 * shared page among the processes mapping it, so PSS summed over a set of processes is what that set
 * costs the machine, and adding a sandbox adds its own pages plus its share of the shared ones.
 *
 * @param rssKib resident pages, shared ones counted in full
 * @param pssKib resident pages, shared ones divided among their users
 * @param processes how many processes were summed (those that ended while being read are left out)
 */
record Pss(long rssKib, long pssKib, int processes) {

  static final Pss ZERO = new Pss(0, 0, 0);

  Pss plus(Pss other) {
    return new Pss(rssKib + other.rssKib, pssKib + other.pssKib, processes + other.processes);
  }

  double pssMib() {
    return pssKib / 1024.0;
  }

  double rssMib() {
    return rssKib / 1024.0;
  }

  /** Parses the Rss and Pss lines of a smaps_rollup. */
  static Pss parseRollup(String text) {
    long rss = -1;
    long pss = -1;
    for (String line : text.split("\n")) {
      if (line.startsWith("Rss:")) {
        rss = kib(line);
      } else if (line.startsWith("Pss:")) {
        pss = kib(line);
      }
    }
    if (rss < 0 || pss < 0) {
      throw new IllegalArgumentException("no Rss/Pss lines in smaps_rollup");
    }
    return new Pss(rss, pss, 1);
  }

  private static long kib(String line) {
    String[] parts = line.trim().split("\\s+");
    if (parts.length < 2 || (parts.length > 2 && !parts[2].equals("kB"))) {
      throw new IllegalArgumentException("unexpected smaps_rollup line: " + line);
    }
    return Long.parseLong(parts[1]);
  }

  /** One process; ZERO when it is gone or unreadable. */
  static Pss of(long pid) {
    try {
      return parseRollup(Files.readString(Path.of("/proc", Long.toString(pid), "smaps_rollup")));
    } catch (IOException | IllegalArgumentException e) {
      return ZERO;
    }
  }

  static Pss sum(Collection<Long> pids) {
    return pids.stream().map(Pss::of).reduce(ZERO, Pss::plus);
  }

  /** Parent to children of every process now: one pass over /proc, however many trees are asked about. */
  static Map<Long, List<Long>> children() {
    Map<Long, List<Long>> children = new HashMap<>();
    ProcessHandle.allProcesses().forEach(h -> h.parent()
        .ifPresent(parent -> children.computeIfAbsent(parent.pid(), k -> new ArrayList<>()).add(h.pid())));
    return children;
  }

  /** The process and all its descendants in the snapshot. */
  static List<Long> tree(long pid, Map<Long, List<Long>> children) {
    List<Long> out = new ArrayList<>();
    Deque<Long> todo = new ArrayDeque<>(List.of(pid));
    while (!todo.isEmpty()) {
      long p = todo.pop();
      out.add(p);
      todo.addAll(children.getOrDefault(p, List.of()));
    }
    return out;
  }
}
