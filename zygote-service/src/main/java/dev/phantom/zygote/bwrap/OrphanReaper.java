package dev.phantom.zygote.bwrap;

import dev.phantom.zygote.host.ProcessStat;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * Reaps the sandboxes' own first processes (bubblewrap's init, the sandbox's pid 1) that bubblewrap leaves
 * behind.
 *
 * <p>They are left behind on every run, not only on a kill: bubblewrap exits as soon as its init reports the
 * command's exit, without waiting for the init, which is then reparented here (the zygote is a child
 * subreaper) and stays a zombie until reaped. A zombie keeps its credentials, so its user namespace stays
 * alive too, with its sysctl table: thousands of them made every bubblewrap start on the host (which opens
 * {@code /proc/sys/user/max_user_namespaces}) walk a dentry hash chain of that length, 0.6 ms per lookup, and
 * would have used up the host's pids. So each run's init is reaped when the run ends ({@link #afterEnd}),
 * and a sweep every minute catches any other.
 *
 * <p>Killing bubblewrap (a timeout, a cancel, a discarded warm slot) orphans the sandbox's pid 1, which dies of
 * its parent-death signal. Without a subreaper it goes to the host's init, and a slow init (this one reaps
 * every ten seconds or so) leaves the zombie in the run's cgroup, so the group cannot be removed in time and
 * stays behind. As a child subreaper the zygote's process inherits those orphans and reaps them itself, soon
 * after each kill. Only zombies of the sandbox user named bwrap are reaped: the JVM's other children belong
 * to whoever started them.
 */
final class OrphanReaper {

  private static final Logger LOG = Logger.getLogger(OrphanReaper.class.getName());
  private static final int PR_SET_CHILD_SUBREAPER = 36;
  /** After a kill: the orphan dies within milliseconds, later under load. */
  private static final long[] AFTER_KILL_MS = {20, 200, 1000, 3000};
  /** After a run's end: its init has left the run's cgroup, and is a zombie here within microseconds. */
  private static final long[] AFTER_END_MS = {20, 200, 1000};
  private static final long SWEEP_SECONDS = 60;

  private final LibC libc;
  private final int sandboxUid;
  private final ScheduledExecutorService timer;
  private final boolean active;

  OrphanReaper(LibC libc, int sandboxUid, ScheduledExecutorService timer) {
    this.libc = libc;
    this.sandboxUid = sandboxUid;
    this.timer = timer;
    this.active = libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
    if (!active) {
      LOG.warning("cannot become a child subreaper (errno " + LibC.errno() + "): a killed sandbox's zombie waits for init");
    } else {
      timer.scheduleWithFixedDelay(this::reapNow, SWEEP_SECONDS, SWEEP_SECONDS, TimeUnit.SECONDS);
    }
  }

  /**
   * A run ended and its cgroup is empty: reaps its init ({@code initPid}, as bubblewrap reported it) now, or
   * soon if it has not quite become a zombie yet. Off the run's reply path.
   */
  void afterEnd(int initPid) {
    if (active && !reapIfOrphan(initPid)) {
      attemptAt(AFTER_END_MS, () -> reapIfOrphan(initPid));
    }
  }

  /** Reaps soon, several times: called right after a sandbox was killed. */
  void afterKill() {
    if (active) {
      attemptAt(AFTER_KILL_MS, () -> {
        reapNow();
        return false; // a sweep cannot tell whether the killed sandbox's orphan was among what it reaped
      });
    }
  }

  /** Runs {@code attempt} at each delay (from now) until one returns true; nothing once the timer stops. */
  private void attemptAt(long[] delaysMs, BooleanSupplier attempt) {
    AtomicBoolean done = new AtomicBoolean();
    for (long delay : delaysMs) {
      try {
        timer.schedule(() -> {
          if (!done.get() && attempt.getAsBoolean()) {
            done.set(true);
          }
        }, delay, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        return; // stopping
      }
    }
  }

  /** Reaps every zombie child of this process that is a sandbox's orphaned bwrap. */
  void reapNow() {
    Path self = Path.of("/proc/self/task");
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(self)) {
      for (Path task : tasks) {
        String children;
        try {
          children = Files.readString(task.resolve("children")).strip();
        } catch (IOException e) {
          continue; // the thread ended
        }
        if (children.isEmpty()) {
          continue;
        }
        for (String child : children.split(" ")) {
          reapIfOrphan(Integer.parseInt(child));
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.fine("reaping orphans failed: " + e);
    }
  }

  /**
   * Reaps {@code pid} if it is an orphaned sandbox init that has died. Returns false only while it is such a
   * process still alive (worth another look), true otherwise: reaped, gone, or not a sandbox's (the pid reused).
   */
  private boolean reapIfOrphan(int pid) {
    Optional<ProcessStat> stat = ProcessStat.of(pid);
    if (stat.isEmpty()) {
      return true; // gone already
    }
    if (!stat.get().comm().equals("bwrap") || BwrapLauncherProcesses.uidOf(pid) != sandboxUid) {
      return true;
    }
    if (!stat.get().zombie()) {
      return false;
    }
    // The launcher's own bwrap processes are never zombies here for long, and their waiters use
    // WNOWAIT first: reaping one of them would make its waiter fail. Only pid-1s reparented to us
    // are orphans; ours have this JVM as their real parent from the start and are tracked.
    if (BwrapLauncherProcesses.tracked(pid)) {
      return true;
    }
    int[] status = new int[1];
    libc.waitpid(pid, status, LibC.WNOHANG);
    return true;
  }
}
