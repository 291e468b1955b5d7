package dev.phantom.zygote.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds bubblewrap's argument list (everything after the {@code bwrap} path) from a profile and a run.
 * The caller owns the policy (bubblewrap is "not a complete, ready-made sandbox"), so every namespace
 * is unshared and nothing of the host is visible except what the profile mounts.
 */
public final class BwrapArgs {

  /** File descriptor the child reads the seccomp program from. */
  public static final int SECCOMP_FD = 3;
  /** File descriptor bubblewrap writes its JSON status documents to. */
  public static final int STATUS_FD = 4;
  /** File descriptor bubblewrap blocks on before running the command, while the zygote sets up the cgroup. */
  public static final int BLOCK_FD = 5;

  private BwrapArgs() {}

  /**
   * @throws ZygoteException {@code INVALID_REQUEST} when argv or env cannot be passed to bubblewrap
   */
  /** Size cap of the sandbox's /dev/shm; its pages count against the sandbox's memory limit too. */
  static final long DEV_SHM_BYTES = 64L << 20;

  public static List<String> build(BwrapFeatures features, SandboxProfile profile, RunSpec run) {
    return build(features, profile, run, "", false);
  }

  /**
   * @param workspaceDir host directory bound read-write at every {@link Mount.Workspace} target; empty makes
   *     it a plain directory inside the sandbox's root tmpfs
   * @param blockFd add {@code --block-fd} {@value #BLOCK_FD}: the sandbox's first process waits for a byte (or
   *     EOF) there before anything of the command runs
   */
  public static List<String> build(BwrapFeatures features, SandboxProfile profile, RunSpec run, String workspaceDir,
      boolean blockFd) {
    return build(features, profile, run, workspaceDir, blockFd, false);
  }

  /**
   * The sandbox of a pool's fork server: the profile's sandbox with a workspace of its own, without the
   * seccomp filter and with the capabilities (in its user namespace only) that each forked slot needs to
   * make its own namespaces and mounts before it drops them all and applies the filter itself.
   */
  public static List<String> buildForkServer(BwrapFeatures features, SandboxProfile profile, RunSpec server) {
    return build(features, profile, server, "", true, true);
  }

  private static List<String> build(BwrapFeatures features, SandboxProfile profile, RunSpec run, String workspaceDir,
      boolean blockFd, boolean forkServer) {
    validate(profile, run);
    List<String> args = new ArrayList<>();
    // --unshare-all only *tries* the user namespace; --disable-userns needs it for sure.
    args.addAll(List.of("--unshare-all", "--unshare-user", "--die-with-parent", "--new-session"));
    if (features.disableUserns()) {
      args.add("--disable-userns");
    }
    args.addAll(List.of("--cap-drop", "ALL"));
    if (forkServer) {
      args.addAll(List.of("--cap-add", "CAP_SYS_ADMIN", "--cap-add", "CAP_NET_ADMIN", "--cap-add", "CAP_SETPCAP"));
    }
    args.addAll(List.of("--uid", Integer.toString(profile.uid()), "--gid", Integer.toString(profile.gid())));
    if (!profile.hostname().isEmpty()) {
      args.addAll(List.of("--hostname", profile.hostname()));
    }
    args.add("--clearenv");
    setenv(args, profile.env());
    setenv(args, run.env());
    if (!profile.cwd().isEmpty()) {
      args.addAll(List.of("--chdir", profile.cwd()));
    }
    for (Mount mount : profile.mounts()) {
      if (mount instanceof Mount.Workspace w) {
        if (workspaceDir.isEmpty()) {
          args.addAll(List.of("--size", Long.toString(w.sizeBytes()), "--tmpfs", w.target()));
        } else {
          args.addAll(List.of("--bind", workspaceDir, w.target()));
        }
      } else {
        mount(args, mount);
      }
    }
    // bubblewrap's root and /dev are writable tmpfs without a size cap: writes there would escape
    // the /tmp and /workspace caps (and the promise that nothing else is writable). Read-only they
    // go, once everything is mounted on them; the mounts below them keep their own modes.
    for (Mount mount : profile.mounts()) {
      if (mount instanceof Mount.Dev dev) {
        args.addAll(List.of("--remount-ro", dev.target()));
      }
    }
    args.addAll(List.of("--remount-ro", "/"));
    if (profile.seccompBpf().length > 0 && !forkServer) {
      args.addAll(List.of("--seccomp", Integer.toString(SECCOMP_FD)));
    }
    args.addAll(List.of("--json-status-fd", Integer.toString(STATUS_FD)));
    if (blockFd) {
      args.addAll(List.of("--block-fd", Integer.toString(BLOCK_FD)));
    }
    args.add("--");
    args.addAll(run.argv());
    return List.copyOf(args);
  }

  private static void setenv(List<String> args, Map<String, String> env) {
    env.forEach((name, value) -> args.addAll(List.of("--setenv", name, value)));
  }

  private static void mount(List<String> args, Mount mount) {
    switch (mount) {
      case Mount.ReadOnlyBind m -> args.addAll(List.of(m.optional() ? "--ro-bind-try" : "--ro-bind", m.source(), m.target()));
      case Mount.Bind m -> args.addAll(List.of(m.optional() ? "--bind-try" : "--bind", m.source(), m.target()));
      case Mount.Tmpfs m -> {
        if (m.sizeBytes() > 0) {
          args.addAll(List.of("--size", Long.toString(m.sizeBytes())));
        }
        args.addAll(List.of("--tmpfs", m.target()));
      }
      case Mount.Proc m -> args.addAll(List.of("--proc", m.target()));
      case Mount.Dev m -> {
        // POSIX shared memory (sem_open, multiprocessing) needs a writable /dev/shm: its own capped tmpfs.
        args.addAll(List.of("--dev", m.target(), "--size", Long.toString(DEV_SHM_BYTES), "--tmpfs", m.target() + "/shm"));
      }
      case Mount.Symlink m -> args.addAll(List.of("--symlink", m.linkTo(), m.target()));
      case Mount.Dir m -> args.addAll(List.of("--dir", m.target()));
      case Mount.Workspace m -> throw new IllegalStateException("handled by the caller");
    }
  }

  /**
   * @throws ZygoteException {@code INVALID_REQUEST} when argv or env cannot be passed to bubblewrap
   */
  public static void validate(SandboxProfile profile, RunSpec run) {
    List<String> problems = new ArrayList<>();
    if (run.argv().isEmpty()) {
      problems.add("argv is empty");
    }
    for (String arg : run.argv()) {
      if (arg.indexOf('\0') >= 0) {
        problems.add("argv contains a NUL character");
        break;
      }
    }
    checkEnv("request", run.env(), problems);
    checkEnv("profile " + profile.name(), profile.env(), problems);
    int seccomp = profile.seccompBpf().length;
    if (seccomp % 8 != 0 || seccomp > SandboxProfile.MAX_SECCOMP_BYTES) {
      problems.add("seccomp program of profile " + profile.name() + " is " + seccomp
          + " bytes: must be a multiple of 8 and at most " + SandboxProfile.MAX_SECCOMP_BYTES);
    }
    if (!problems.isEmpty()) {
      throw new ZygoteException(ZygoteException.Reason.INVALID_REQUEST, String.join("; ", problems));
    }
  }

  private static void checkEnv(String where, Map<String, String> env, List<String> problems) {
    env.forEach((name, value) -> {
      if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
        problems.add(where + " env name '" + name.replace("\0", "\\0") + "' is empty or contains '=' or NUL");
      } else if (value.indexOf('\0') >= 0) {
        problems.add(where + " env " + name + " contains a NUL character");
      }
    });
  }
}
