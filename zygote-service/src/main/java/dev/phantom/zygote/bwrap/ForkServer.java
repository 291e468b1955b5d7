package dev.phantom.zygote.bwrap;

import dev.phantom.zygote.core.RunSpec;
import dev.phantom.zygote.core.SandboxCgroups;
import dev.phantom.zygote.core.SandboxProfile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One preloaded Python interpreter per pool that forks the pool's slots (python-forkserver.py), so that
 * idle slots share its pages copy-on-write: an idle Python slot made by bubblewrap holds its own heap of
 * about 9 MiB, a forked one about 3.4 MiB (docs/design.md, "Warm pools").
 *
 * <p>The server runs in a bubblewrap sandbox of the pool's profile (same mounts, user, environment) but
 * without the seccomp filter and with CAP_SYS_ADMIN, CAP_NET_ADMIN and CAP_SETPCAP in its user namespace
 * only. It never runs a job: each forked slot enters new mount, pid, network, IPC, UTS and cgroup
 * namespaces, mounts fresh tmpfs wherever the profile is writable, its own /proc and /dev/pts, then drops
 * every capability, sets no_new_privs and applies the profile's filter before it reads its job. Isolation
 * is the cold path's; the abuse suite runs against forked slots too.
 *
 * <p>Not thread-safe by design: one refill thread forks at a time; {@link #fork} is synchronized anyway.
 */
public final class ForkServer {

  private final BwrapLauncher launcher;
  private final LibC libc;
  private final SandboxProfile profile;
  private final WarmSlot sandbox;
  private final int control;
  private boolean closed;

  ForkServer(BwrapLauncher launcher, LibC libc, SandboxProfile profile, WarmSlot sandbox, int control) {
    this.launcher = launcher;
    this.libc = libc;
    this.profile = profile;
    this.sandbox = sandbox;
    this.control = control;
  }

  public SandboxProfile profile() {
    return profile;
  }

  /** The server's bubblewrap process on the host (its tree includes the slots' processes). */
  public int pid() {
    return sandbox.pid();
  }

  /** False once the server's sandbox has exited; its slots then die with its pid namespace. */
  public boolean alive() {
    return !closed && sandbox.alive();
  }

  /** A new slot of the pool, already released into its cgroup and ready for a job. */
  public WarmSlot forkSlot(RunSpec agent) {
    return launcher.forkSlot(this, agent);
  }

  /**
   * Sends one fork request with the slot's five pipe ends (stdin, stdout, stderr, status, release) and
   * returns the pidfd of the slot's first process. The caller still owns (and closes) the pipe ends.
   */
  synchronized int fork(String request, int[] pipeEnds) {
    if (closed) {
      throw new IllegalStateException("the fork server is closed");
    }
    SeqPacket.send(libc, control, request.getBytes(StandardCharsets.UTF_8), pipeEnds);
    SeqPacket.Received reply = SeqPacket.receive(libc, control, 4096, 1);
    if (reply.bytes().length == 0) {
      throw new IllegalStateException("the fork server is gone");
    }
    if (reply.fds().length != 1) {
      for (int fd : reply.fds()) {
        libc.close(fd);
      }
      throw new IllegalStateException("the fork server answered " + new String(reply.bytes(), StandardCharsets.UTF_8));
    }
    return reply.fds()[0];
  }

  /** Kills the server (and with its pid namespace every slot it forked) and releases its sandbox. */
  public synchronized void close() {
    if (!closed) {
      closed = true;
      libc.close(control);
      sandbox.discard();
    }
  }

  /** The host pid a pidfd refers to, from /proc/self/fdinfo (the pidfd's "Pid:" line, in our namespace). */
  static int hostPid(int pidfd) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/fdinfo/" + pidfd))) {
        if (line.startsWith("Pid:")) {
          int pid = Integer.parseInt(line.substring(4).strip());
          if (pid <= 0) {
            throw new IllegalStateException("the slot's first process is already gone");
          }
          return pid;
        }
      }
    } catch (IOException | NumberFormatException e) {
      throw new IllegalStateException("reading the slot's pid failed: " + e);
    }
    throw new IllegalStateException("descriptor " + pidfd + " is not a pidfd");
  }

  /**
   * The slot's init (pid 1 of its pid namespace) among the processes of its group: what memory is measured
   * from, and what tests kill. -1 when it is not there (the slot is dying).
   */
  static int initPid(SandboxCgroups.Group group) {
    for (int pid : group.pids()) {
      try {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
          if (line.startsWith("NSpid:") && line.strip().endsWith("\t1")) {
            return pid;
          }
        }
      } catch (IOException e) {
        // gone meanwhile
      }
    }
    return -1;
  }
}
