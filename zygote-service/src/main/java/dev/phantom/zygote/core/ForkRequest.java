package dev.phantom.zygote.core;

/**
 * What a fork server's slot makes for itself once in its own namespaces (python-forkserver.py): a fresh
 * tmpfs wherever the profile's sandbox is writable (tmpfs mounts, the workspace, /dev/shm), its own /proc
 * and /dev/pts, its loopback up, and the run's rlimits. The rest of the sandbox (read-only binds, a
 * read-only root and /dev) is the server's, which bubblewrap built from the same profile. One JSON line.
 */
public final class ForkRequest {

  private ForkRequest() {}

  public static String json(SandboxProfile profile, ResourceLimits limits) {
    StringBuilder tmpfs = new StringBuilder();
    StringBuilder proc = new StringBuilder();
    StringBuilder devpts = new StringBuilder();
    for (Mount mount : profile.mounts()) {
      switch (mount) {
        case Mount.Tmpfs m -> tmpfs(tmpfs, m.target(), m.sizeBytes());
        case Mount.Workspace m -> tmpfs(tmpfs, m.target(), m.sizeBytes());
        case Mount.Dev m -> {
          tmpfs(tmpfs, m.target() + "/shm", BwrapArgs.DEV_SHM_BYTES);
          list(devpts, m.target() + "/pts");
        }
        case Mount.Proc m -> list(proc, m.target());
        default -> { } // binds, links and dirs are the server's, read-only or the host's own
      }
    }
    return "{\"tmpfs\":[" + tmpfs + "],\"proc\":[" + proc + "],\"devpts\":[" + devpts + "],\"net\":true,\"cwd\":"
        + SlotAgent.jsonString(profile.cwd()) + ",\"limits\":{\"nofile\":" + limits.maxOpenFiles() + ",\"fsize\":"
        + limits.maxFileSizeBytes() + "}}";
  }

  private static void tmpfs(StringBuilder out, String target, long size) {
    out.append(out.isEmpty() ? "" : ",").append("{\"target\":").append(SlotAgent.jsonString(target))
        .append(",\"size\":").append(size).append('}');
  }

  private static void list(StringBuilder out, String target) {
    out.append(out.isEmpty() ? "" : ",").append(SlotAgent.jsonString(target));
  }
}
