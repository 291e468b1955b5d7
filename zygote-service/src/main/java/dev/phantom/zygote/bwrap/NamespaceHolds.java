package dev.phantom.zygote.bwrap;

import dev.phantom.zygote.host.ProcessStat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;

/**
 * Keeps a reference to each sandbox's mount and network namespaces (a descriptor of
 * {@code /proc/INIT/ns/mnt} and {@code .../net}) from its start until a little after its run has ended, so that
 * the kernel tears them down then, on a zygote thread, instead of in the exit of the sandbox's init.
 *
 * <p>Why: when the last process of a mount namespace exits, the kernel unmounts its tree inside that exit and
 * waits for an expedited RCU grace period there ({@code free_nsproxy} -> {@code namespace_unlock} ->
 * {@code synchronize_rcu_expedited}), and the end of a network namespace queues {@code cleanup_net} on a
 * kernel worker. Measured on a 2-core host: the init's exit took 0.3-0.7 ms (bare bubblewrap, quiet host),
 * and under the mesh the RCU kthread and the netns worker took the CPUs from the event loops that were
 * carrying the run's reply, which reached the client up to a millisecond later. Bare bubblewrap's caller
 * never waits for this either: bubblewrap exits at its init's report, before the teardown. Holding the
 * namespaces makes the init's exit a matter of dropping references; the teardown happens when the
 * descriptors are closed, {@link #CLOSE_DELAY_MS} after the run ended, off its path.
 *
 * <p>Nothing of the sandbox runs while its namespaces are held: its processes are gone (the run waited for
 * its cgroup to be empty), and a namespace without processes is only memory. The descriptors are this
 * process's own (close-on-exec, and no spawn passes on descriptors it did not name).
 * {@code -Dphantom.zygote.holdNamespaces=false} turns this off.
 */
final class NamespaceHolds {

  /** Long enough for the reply to have left the mesh on a quiet host, short enough to hold few at a time. */
  static final long CLOSE_DELAY_MS = 10;
  private static final String[] KINDS = {"mnt", "net"};
  private static final long SWEEP_SECONDS = 60;

  private final LibC libc;
  private final ScheduledExecutorService timer;
  private final Executor closer;
  private final boolean enabled;
  private final Map<Integer, int[]> held = new ConcurrentHashMap<>();

  NamespaceHolds(LibC libc, ScheduledExecutorService timer, Executor closer) {
    this.libc = libc;
    this.timer = timer;
    this.closer = closer;
    this.enabled = !"false".equals(System.getProperty("phantom.zygote.holdNamespaces"));
    if (enabled) {
      timer.scheduleWithFixedDelay(this::sweep, SWEEP_SECONDS, SWEEP_SECONDS, TimeUnit.SECONDS);
    }
  }

  /**
   * Takes references to the namespaces of a sandbox's init ({@code initPid}, as bubblewrap reported it). A
   * namespace it cannot open (the init gone already, no permission to look) is simply not held.
   */
  void hold(int initPid) {
    if (!enabled || initPid <= 0 || held.containsKey(initPid)) {
      return;
    }
    int[] fds = new int[KINDS.length];
    int opened = 0;
    for (int i = 0; i < KINDS.length; i++) {
      fds[i] = libc.open("/proc/" + initPid + "/ns/" + KINDS[i], LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
      opened += fds[i] >= 0 ? 1 : 0;
    }
    if (opened == 0) {
      return;
    }
    // An entry still under this pid belongs to an init that is gone (its pid was reaped and reused).
    int[] stale = held.put(initPid, fds);
    if (stale != null) {
      closeAll(stale);
    }
  }

  /** The run of the sandbox whose init was {@code initPid} has ended: its namespaces go soon. */
  void release(int initPid) {
    int[] fds = held.remove(initPid);
    if (fds == null) {
      return;
    }
    try {
      timer.schedule(() -> closeOn(fds), CLOSE_DELAY_MS, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      closeAll(fds); // stopping
    }
  }

  /** Closes every hold at once (shutdown). */
  void closeAllNow() {
    closeWhere(pid -> true);
  }

  private void closeOn(int[] fds) {
    try {
      closer.execute(() -> closeAll(fds));
    } catch (RejectedExecutionException e) {
      closeAll(fds);
    }
  }

  /** Closes the holds of inits that are gone without their run's release (a slot whose start failed). */
  void sweep() {
    closeWhere(pid -> !alive(pid));
  }

  private void closeWhere(IntPredicate initPid) {
    for (Integer pid : held.keySet()) {
      int[] fds = initPid.test(pid) ? held.remove(pid) : null;
      if (fds != null) {
        closeAll(fds);
      }
    }
  }

  private static boolean alive(int pid) {
    return ProcessStat.of(pid).filter(stat -> !stat.zombie()).isPresent();
  }

  private void closeAll(int[] fds) {
    for (int fd : fds) {
      if (fd >= 0) {
        libc.close(fd);
      }
    }
  }
}
