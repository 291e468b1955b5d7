package dev.phantom.gateway.it.abuse;

import io.vertx.core.Future;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * What the host sees of sandboxes: processes (by the marks {@link Sandboxes} puts in every run), cgroup
 * directories, mounts and the zygote's state directory. Reads the host's /proc, so it needs to run outside
 * any sandbox, as root for other users' environ files.
 */
final class HostView {

  private static final Path PROC = Path.of("/proc");
  private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");

  private HostView() {}

  /**
   * @param cmdline NUL bytes shown as spaces
   * @param environ empty when unreadable (zombies, processes gone)
   * @param uids real, effective, saved and filesystem uid
   * @param state the State letter of /proc/pid/status (Z for zombies)
   * @param session the session id (field 6 of /proc/pid/stat)
   */
  record HostProcess(long pid, String cmdline, String environ, List<Integer> uids, List<Integer> gids, char state,
      long session) {

    boolean zombie() {
      return state == 'Z' || state == 'X';
    }

    /** The sandboxed command or one of its children (bubblewrap itself starts with an empty environment). */
    boolean insideSandbox(String mark) {
      return environ.contains(mark);
    }

    @Override
    public String toString() {
      return "pid " + pid + " (" + state + ", uids " + uids + ", session " + session + "): " + cmdline;
    }
  }

  /** Live (not zombie) processes whose command line or environment contains {@code mark}. */
  static List<HostProcess> processesWith(String mark) {
    long self = ProcessHandle.current().pid();
    List<HostProcess> found = new ArrayList<>();
    for (long pid : pids()) {
      if (pid == self) {
        continue;
      }
      String cmdline = read(PROC.resolve(pid + "/cmdline"));
      String environ = read(PROC.resolve(pid + "/environ"));
      if (cmdline.contains(mark) || environ.contains(mark)) {
        process(pid, cmdline, environ).filter(p -> !p.zombie()).ifPresent(found::add);
      }
    }
    return found;
  }

  /**
   * Waits until some process carries {@code mark} inside a sandbox, and returns all that carry it.
   *
   * @param run the run expected to start that sandbox: if it ends first, the wait fails with its outcome
   */
  static List<HostProcess> awaitSandboxWith(String mark, Duration limit, Future<?> run) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      List<HostProcess> found = processesWith(mark);
      if (found.stream().anyMatch(p -> p.insideSandbox(mark))) {
        return found;
      }
      if (run.isComplete()) {
        throw new AssertionError("the run ended before its sandbox was seen on the host: "
            + (run.failed() ? run.cause() : run.result()));
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no sandboxed process with " + mark + " appeared on the host within " + limit
            + "; found only " + found);
      }
      Thread.sleep(25);
    }
  }

  /** Waits up to {@code limit} for every live process carrying {@code mark} to be gone; returns what remains. */
  static List<HostProcess> awaitNoProcessWith(String mark, Duration limit) throws InterruptedException {
    return awaitEmpty(() -> processesWith(mark), limit);
  }

  /** Polls {@code leftovers} until it is empty or {@code limit} passed; returns the last answer. */
  static <T> List<T> awaitEmpty(Supplier<? extends java.util.Collection<T>> leftovers, Duration limit)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (true) {
      List<T> left = List.copyOf(leftovers.get());
      if (left.isEmpty() || System.nanoTime() > deadline) {
        return left;
      }
      Thread.sleep(50);
    }
  }

  /** Live processes of a host user (e.g. the sandbox user, 65520 by default), by pid. */
  static Set<Long> liveProcessesOf(int uid) {
    Set<Long> found = new TreeSet<>();
    for (long pid : pids()) {
      process(pid, "", "").filter(p -> !p.zombie() && p.uids().getFirst() == uid && !parkedLauncher(pid))
          .ifPresent(p -> found.add(pid));
    }
    return found;
  }

  /**
   * A zygote's parked launcher: a shell of the sandbox user waiting, outside any sandbox, for the script of
   * a cold run (at most zygote.launchers of them per node; their groups are counted by phantomCgroups).
   */
  private static boolean parkedLauncher(long pid) {
    return read(PROC.resolve(pid + "/cmdline")).contains("phantom-launcher");
  }

  static Optional<HostProcess> process(long pid) {
    return process(pid, read(PROC.resolve(pid + "/cmdline")), read(PROC.resolve(pid + "/environ")));
  }

  private static Optional<HostProcess> process(long pid, String cmdline, String environ) {
    String status = read(PROC.resolve(pid + "/status"));
    String stat = read(PROC.resolve(pid + "/stat"));
    if (status.isEmpty() || stat.isEmpty()) {
      return Optional.empty();
    }
    List<Integer> uids = List.of();
    List<Integer> gids = List.of();
    char state = '?';
    for (String line : status.split("\n")) {
      if (line.startsWith("Uid:")) {
        uids = numbers(line);
      } else if (line.startsWith("Gid:")) {
        gids = numbers(line);
      } else if (line.startsWith("State:")) {
        state = line.substring("State:".length()).trim().charAt(0);
      }
    }
    // The command name in (...) may hold spaces and parentheses: count fields after the last ')'.
    String[] afterName = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
    long session = Long.parseLong(afterName[3]);
    return Optional.of(new HostProcess(pid, cmdline, environ, uids, gids, state, session));
  }

  private static List<Integer> numbers(String line) {
    return Stream.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+")).map(Integer::valueOf).toList();
  }

  /** The session id of this JVM. */
  static long ownSession() {
    return process(ProcessHandle.current().pid()).orElseThrow().session();
  }

  /** Host cgroup paths (relative to the controller's mount, e.g. {@code memory:/phantom/run-1}) of a process. */
  static Set<String> cgroupsOf(long pid) {
    Set<String> paths = new TreeSet<>();
    for (String line : read(PROC.resolve(pid + "/cgroup")).split("\n")) {
      String[] parts = line.split(":", 3);
      if (parts.length == 3) {
        paths.add((parts[1].isEmpty() ? "unified" : parts[1]) + ":" + parts[2]);
      }
    }
    return paths;
  }

  /**
   * Every cgroup directory on the host whose path mentions phantom, over every mounted hierarchy, except the
   * zygote's parked launchers' groups {@code launcher-0} to {@code launcher-<launchers - 1>}: they stand ready
   * between runs (their names are reused as they are taken), and one that leaked would hold its name and push
   * the next one beyond that range.
   */
  static Set<String> phantomCgroups() {
    Set<String> found = new TreeSet<>();
    if (!Files.isDirectory(CGROUP_ROOT)) {
      return found;
    }
    java.util.regex.Pattern parked = java.util.regex.Pattern.compile(".*/launcher-(\\d+)");
    try (Stream<Path> dirs = Files.walk(CGROUP_ROOT, 8)) {
      dirs.filter(Files::isDirectory).map(Path::toString).filter(path -> path.contains("phantom"))
          .filter(path -> {
            var m = parked.matcher(path);
            return !m.matches() || Integer.parseInt(m.group(1)) >= dev.phantom.zygote.ZygoteConfig.DEFAULT_LAUNCHERS;
          })
          .forEach(found::add);
    } catch (IOException | UncheckedIOException e) {
      // A cgroup removed while walking: count what was seen; the caller polls.
    }
    return found;
  }

  /** Lines of the host's mount table (this JVM's mount namespace) that mention phantom. */
  static Set<String> phantomMounts() {
    Set<String> found = new TreeSet<>();
    for (String line : read(Path.of("/proc/self/mountinfo")).split("\n")) {
      if (line.contains("phantom")) {
        found.add(line);
      }
    }
    return found;
  }

  /** Entries (three levels deep) under a zygote's state directory. */
  static Set<String> stateEntries(Path dir) {
    Set<String> found = new TreeSet<>();
    if (!Files.isDirectory(dir)) {
      return found;
    }
    try (Stream<Path> entries = Files.walk(dir, 3)) {
      entries.filter(path -> !path.equals(dir)).map(Path::toString).forEach(found::add);
    } catch (IOException | UncheckedIOException e) {
      // Entries removed while walking; the caller polls.
    }
    return found;
  }

  /** Elements of {@code now} that were not in {@code before}. */
  static <T> Set<T> added(Set<T> before, Set<T> now) {
    Set<T> added = new TreeSet<>(now);
    added.removeAll(before);
    return added;
  }

  private static List<Long> pids() {
    List<Long> pids = new ArrayList<>();
    try (Stream<Path> entries = Files.list(PROC)) {
      entries.map(p -> p.getFileName().toString()).filter(name -> name.chars().allMatch(Character::isDigit))
          .forEach(name -> pids.add(Long.parseLong(name)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return pids;
  }

  /** The file's bytes as text with NULs as spaces; empty when it is gone or unreadable. */
  static String read(Path path) {
    try {
      return new String(Files.readAllBytes(path), StandardCharsets.UTF_8).replace('\0', ' ');
    } catch (NoSuchFileException e) {
      return "";
    } catch (IOException e) {
      return "";
    }
  }
}
