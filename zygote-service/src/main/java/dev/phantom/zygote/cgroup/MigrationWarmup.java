package dev.phantom.zygote.cgroup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Starts, at the beginning of a spawn, the grace period that the spawn's cgroup moves would otherwise wait
 * for later.
 *
 * <p>Why: every write to {@code cgroup.procs} takes the kernel's cgroup threadgroup lock for writing, and
 * the first writer after the lock has been idle for a grace period waits a full RCU grace period (7-10 ms on
 * this host); writers within a grace period of the last one do not wait (rcu_sync). That wait, not the
 * number of moves, was the 7-8 ms of placing bubblewrap and the sandbox's first process in the run's group
 * (one move into one fresh group cost as much as eight). Writing this process's own pid into the group it is
 * already in migrates nothing but takes the lock, so the wait runs on a thread of its own while setpriv and
 * bubblewrap start, and the real moves find the lock warm. Only timing depends on it: a failed write
 * changes nothing else. (Hosts can also mount their hierarchies with {@code favordynmods}, which keeps the
 * lock warm for good at some cost to every fork and exit.)
 */
final class MigrationWarmup {

  private final Path ownProcs;
  private final String ownPid = Long.toString(ProcessHandle.current().pid());
  private final AtomicBoolean inFlight = new AtomicBoolean();

  /** @param ownGroup a group this process is in (its own, in one hierarchy) */
  MigrationWarmup(Path ownGroup) {
    this.ownProcs = ownGroup.resolve("cgroup.procs");
  }

  /** Starts one no-op migration on a thread of its own, unless one is still waiting. */
  void kick() {
    if (inFlight.compareAndSet(false, true)) {
      Thread.ofVirtual().name("cgroup-warmup").start(() -> {
        try {
          CgroupFiles.write(ownProcs, ownPid);
        } catch (IOException e) {
          // Only the next moves' timing suffers.
        } finally {
          inFlight.set(false);
        }
      });
    }
  }
}
