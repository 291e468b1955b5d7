package dev.phantom.zygote.bwrap;

import dev.phantom.zygote.core.SandboxCgroups;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The cold path's head start: shells parked ahead of any run, each already in a fresh cgroup of its own with
 * the pipes of a run made, waiting for the script that turns it into that run's sandbox.
 *
 * <p>Why: on cgroup v1, moving a process into a group takes the kernel's threadgroup lock for writing, and
 * the first move after the host has been quiet for a while waits a whole RCU grace period (6 ms median here,
 * more than bubblewrap's whole start). A parked shell pays that wait in the background. When a run comes,
 * the shell reads a script from descriptor 6 ({@code ulimit ...; exec bwrap --block-fd 5 ...}),
 * and while bubblewrap sets the sandbox up, inside the parked group already, that group is renamed to the
 * run's and limited (file writes, no migration); then the block descriptor releases the command. No child
 * pid to wait for, nothing to move. Parked shells are profile-blind: any cold run takes one.
 *
 * <p>A parked shell is the sandbox user already (setpriv ran when it was parked, another millisecond off
 * the request path), and lowering rlimits needs no privilege. Only this JVM holds the write end of its script
 * pipe. It exits at that pipe's end of file, so a killed JVM leaves no shell behind, and its group is
 * removed as a leftover at the next start.
 *
 * <p>Threads: {@link #take} never blocks; one refill thread parks shells one at a time.
 */
final class ParkedLaunchers implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(ParkedLaunchers.class.getName());

  /** Descriptor the parked shell reads its script from. */
  static final int SCRIPT_FD = 6;

  /**
   * The parked shell: sources its script from descriptor 6 (buffered reads, unlike {@code read}'s byte at a
   * time), and exits if the script ends without an exec (or never comes).
   */
  static final String SHELL = ". /proc/self/fd/" + SCRIPT_FD + "; exit 125";

  /** A script fits the pipe buffer, so writing it never blocks the caller. */
  static final int MAX_SCRIPT_BYTES = 60 * 1024;

  /** One parked shell: the parent's ends of its pipes, and its group. */
  record Parked(int pid, int stdinFd, int stdoutFd, int stderrFd, int seccompFd, int statusFd, int blockFd,
      int scriptFd, SandboxCgroups.Group group) {}

  private final BwrapLauncher launcher;
  private final LibC libc;
  private final SandboxCgroups cgroups;
  private final int target;
  private final ArrayDeque<Parked> idle = new ArrayDeque<>();
  private final Thread refiller;
  private boolean closed;
  private long taken;
  /** Shells taken whose group has not been renamed (or removed) yet: see {@link #handedOver}. */
  private int handingOver;

  ParkedLaunchers(BwrapLauncher launcher, LibC libc, SandboxCgroups cgroups, int target) {
    this.launcher = launcher;
    this.libc = libc;
    this.cgroups = cgroups;
    this.target = target;
    this.refiller = Thread.ofPlatform().name("zygote-park").daemon(true).unstarted(this::refillLoop);
    refiller.start();
  }

  /**
   * A live parked shell, or null when none is ready. The caller owns it from here, and calls {@link
   * #handedOver} once its group has the run's name or is gone.
   */
  Parked take() {
    while (true) {
      Parked p;
      synchronized (idle) {
        p = idle.poll();
        if (p == null) {
          return null;
        }
        // Counted before the refill can wake: its group keeps the launcher-N name until handedOver().
        handingOver++;
      }
      if (alive(p)) {
        synchronized (idle) {
          taken++;
        }
        return p;
      }
      LOG.warning("a parked launcher (pid " + p.pid() + ") died while it waited; it is replaced");
      forget(p); // alive() reaped it
      handedOver();
    }
  }

  /**
   * The group of a taken shell was renamed to its run's (or removed): its {@code launcher-N} name is free,
   * and the refill, which waits for this, reuses it. So the names stay {@code launcher-0} to {@code
   * launcher-<target - 1>}, and the rename never waits behind the refill's move (which holds the cgroup
   * mutex through its grace-period wait: the parked step's p99 was 14 ms when they overlapped).
   */
  void handedOver() {
    synchronized (idle) {
      handingOver--;
      idle.notifyAll();
    }
  }

  /** Parked shells ready now. */
  int idleCount() {
    synchronized (idle) {
      return idle.size();
    }
  }

  /** Parked shells handed to runs so far. */
  long takenCount() {
    synchronized (idle) {
      return taken;
    }
  }

  /** The script that makes a parked shell {@code argv}: its rlimits, its descriptors closed, then exec. */
  static String script(String rlimits, List<String> argv, boolean seccomp) {
    StringBuilder s = new StringBuilder(rlimits.isEmpty() ? "" : rlimits + " && ");
    // Descriptors 3 (the seccomp program) and 6 (this script) must not reach bubblewrap unasked.
    s.append("exec ").append(seccomp ? "" : "3<&- ").append(SCRIPT_FD).append("<&- && exec");
    for (String arg : argv) {
      s.append(' ').append(dev.phantom.zygote.core.SlotAgent.singleQuoted(arg));
    }
    return s.append('\n').toString();
  }

  /** Kills what is parked and waits for the refill thread. */
  @Override
  public void close() {
    List<Parked> left;
    synchronized (idle) {
      closed = true;
      left = new ArrayList<>(idle);
      idle.clear();
      idle.notifyAll();
    }
    refiller.interrupt();
    try {
      refiller.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    left.forEach(this::discard);
  }

  /** Kills and reaps a parked shell (or what it became), closes its descriptors and removes its group. */
  void discard(Parked p) {
    libc.kill(p.pid(), LibC.SIGKILL);
    libc.waitpid(p.pid(), new int[1], 0);
    forget(p);
  }

  /** Closes a reaped shell's descriptors and removes its group. */
  private void forget(Parked p) {
    BwrapLauncherProcesses.reaped(p.pid());
    for (int fd : new int[] {p.stdinFd(), p.stdoutFd(), p.stderrFd(), p.seccompFd(), p.statusFd(), p.blockFd(),
        p.scriptFd()}) {
      if (fd >= 0) {
        libc.close(fd);
      }
    }
    p.group().killAndWait(2000); // what the shell started before it died (a bubblewrap waiting to be released)
    p.group().remove();
  }

  private boolean alive(Parked p) {
    int[] status = new int[1];
    return libc.waitpid(p.pid(), status, LibC.WNOHANG) == 0;
  }

  private void refillLoop() {
    long backoffMillis = 0;
    while (true) {
      synchronized (idle) {
        while (!closed && idle.size() >= target) {
          try {
            idle.wait();
          } catch (InterruptedException e) {
            if (closed) {
              return;
            }
          }
        }
        if (closed) {
          return;
        }
      }
      if (!awaitHandovers()) {
        return;
      }
      try {
        Parked p = park();
        boolean keep;
        synchronized (idle) {
          keep = !closed;
          if (keep) {
            idle.add(p);
          }
        }
        if (!keep) {
          discard(p);
          return;
        }
        backoffMillis = 0;
      } catch (RuntimeException e) {
        backoffMillis = Math.min(Math.max(2 * backoffMillis, 100), 10_000);
        LOG.log(backoffMillis >= 10_000 ? Level.FINE : Level.WARNING,
            "parking a launcher failed; cold runs start without one (next try in " + backoffMillis + " ms)", e);
        try {
          Thread.sleep(backoffMillis);
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  /** Waits (at most a second) until no taken shell is being handed over. False when closed or interrupted. */
  private boolean awaitHandovers() {
    long deadline = System.nanoTime() + 1_000_000_000L;
    synchronized (idle) {
      while (handingOver > 0 && !closed) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return true;
        }
        try {
          idle.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          return false;
        }
      }
      return !closed;
    }
  }

  /** Spawns one shell with a run's pipes and moves it into a fresh group of its own. */
  private Parked park() {
    SandboxCgroups.Group group = freshGroup();
    List<Integer> childEnds = new ArrayList<>();
    List<Integer> parentEnds = new ArrayList<>();
    int pid = -1;
    try {
      Pipe stdin = launcher.open(parentEnds, childEnds, false);
      Pipe stdout = launcher.open(parentEnds, childEnds, true);
      Pipe stderr = launcher.open(parentEnds, childEnds, true);
      Pipe seccomp = launcher.open(parentEnds, childEnds, false);
      Pipe status = launcher.open(parentEnds, childEnds, true);
      Pipe block = launcher.open(parentEnds, childEnds, false);
      Pipe script = launcher.open(parentEnds, childEnds, false);
      launcher.ownForSandbox(script.read);
      List<String> argv = new ArrayList<>(launcher.dropPrivileges());
      argv.addAll(List.of("/bin/sh", "-c", SHELL, "phantom-launcher"));
      pid = launcher.spawn(argv,
          new int[] {stdin.read, stdout.write, stderr.write, seccomp.read, status.write, block.read, script.read});
      BwrapLauncherProcesses.spawned(pid);
      childEnds.forEach(libc::close);
      childEnds.clear();
      group.add(pid);
      return new Parked(pid, stdin.write, stdout.read, stderr.read, seccomp.write, status.read, block.write, script.write,
          group);
    } catch (RuntimeException e) {
      childEnds.forEach(libc::close);
      parentEnds.forEach(libc::close);
      if (pid > 0) {
        libc.kill(pid, LibC.SIGKILL);
        libc.waitpid(pid, new int[1], 0);
        BwrapLauncherProcesses.reaped(pid);
      }
      group.remove();
      throw e;
    }
  }

  /** The lowest free {@code launcher-N} group (names are reused, so the set of groups stays the same). */
  private SandboxCgroups.Group freshGroup() {
    for (int index = 0; ; index++) {
      try {
        return cgroups.park(index);
      } catch (UncheckedIOException taken) {
        if (index > 4 * target + 64) {
          throw new IllegalStateException("no free launcher group name up to " + index, taken);
        }
      }
    }
  }
}
