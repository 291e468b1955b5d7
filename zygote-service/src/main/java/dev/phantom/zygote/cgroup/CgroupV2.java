package dev.phantom.zygote.cgroup;

import dev.phantom.zygote.core.ResourceLimits;
import dev.phantom.zygote.core.ResourceUsage;
import dev.phantom.zygote.core.SandboxCgroups;
import dev.phantom.zygote.core.ZygoteException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * cgroup v2: one unified hierarchy. Runs live in {@code <base>/<parent>/run-N-<runId>}. Because a v2 group
 * that holds processes cannot delegate controllers to children ("no internal processes"), the service's
 * own processes are moved once into the leaf {@value #SELF_LEAF} when its group still holds them; a
 * restarted service that finds itself in that leaf uses the leaf's parent as the base again.
 */
public final class CgroupV2 implements SandboxCgroups {

  private static final Logger LOG = Logger.getLogger(CgroupV2.class.getName());

  /** Leaf the service's own processes move into so that its group can delegate controllers. */
  public static final String SELF_LEAF = "phantom-self";
  static final List<String> CONTROLLERS = List.of("memory", "pids", "cpu");
  static final long CPU_PERIOD_US = 100_000;

  private final Path parent;
  private final AtomicLong seq = new AtomicLong();

  /**
   * @param own this process's group directory
   * @param parentName name of the parent of all run groups below {@code own} (or its base, see above)
   */
  public CgroupV2(Path own, String parentName) throws IOException {
    Path base = own.getFileName() != null && own.getFileName().toString().equals(SELF_LEAF) ? own.getParent() : own;
    enable(base, own);
    this.parent = base.resolve(parentName);
    Files.createDirectories(parent);
    CgroupFiles.write(parent.resolve("cgroup.subtree_control"), enableLine(parent));
  }

  private static String enableLine(Path group) {
    String available = CgroupFiles.read(group.resolve("cgroup.controllers")).orElse("");
    StringBuilder line = new StringBuilder();
    for (String c : CONTROLLERS) {
      if ((" " + available.strip() + " ").contains(" " + c + " ")) {
        line.append(line.isEmpty() ? "" : " ").append('+').append(c);
      }
    }
    return line.toString();
  }

  /** Makes {@code base} delegate the controllers, moving its own processes into the leaf first if needed. */
  private static void enable(Path base, Path own) throws IOException {
    String line = enableLine(base);
    if (line.isEmpty()) {
      throw new IOException("no controller of " + CONTROLLERS + " is available in " + base);
    }
    try {
      CgroupFiles.write(base.resolve("cgroup.subtree_control"), line);
    } catch (IOException busy) {
      // EBUSY: the group holds processes. Move them (this JVM included) into a leaf, then retry.
      Path leaf = base.resolve(SELF_LEAF);
      Files.createDirectories(leaf);
      for (int pid : CgroupFiles.pids(base)) {
        try {
          CgroupFiles.write(leaf.resolve("cgroup.procs"), Integer.toString(pid));
        } catch (IOException gone) {
          // exited meanwhile
        }
      }
      LOG.info("moved the processes of " + base + " into " + leaf + " so that it can delegate " + line);
      CgroupFiles.write(base.resolve("cgroup.subtree_control"), line);
    }
  }

  @Override
  public String describe() {
    return "cgroup v2 " + parent;
  }

  @Override
  public boolean enforced() {
    return true;
  }

  @Override
  public Group create(String runId, ResourceLimits limits) {
    Path dir = parent.resolve(CgroupFiles.groupName(runId, seq.incrementAndGet()));
    V2Group group = new V2Group(dir);
    try {
      Files.createDirectory(dir);
      if (limits.memoryBytes() > 0) {
        CgroupFiles.write(dir.resolve("memory.max"), Long.toString(limits.memoryBytes()));
        if (Files.exists(dir.resolve("memory.swap.max"))) {
          CgroupFiles.write(dir.resolve("memory.swap.max"), "0");
        }
      }
      if (limits.pids() > 0) {
        CgroupFiles.write(dir.resolve("pids.max"), Integer.toString(limits.pids()));
      }
      if (limits.cpuMillicores() > 0) {
        CgroupFiles.write(dir.resolve("cpu.max"), CgroupV1.quotaMicros(limits.cpuMillicores()) + " " + CPU_PERIOD_US);
      }
      return group;
    } catch (IOException | RuntimeException e) {
      group.remove();
      throw new ZygoteException(ZygoteException.Reason.SPAWN, "creating cgroup " + dir + " failed: " + e);
    }
  }

  @Override
  public int removeLeftovers() {
    List<Path> leftovers = CgroupFiles.children(parent);
    for (Path dir : leftovers) {
      V2Group group = new V2Group(dir);
      group.killAndWait(5000);
      group.remove();
    }
    return leftovers.size();
  }

  @Override
  public int groupCount() {
    return CgroupFiles.children(parent).size();
  }

  private static final class V2Group implements Group {

    private final Path dir;

    V2Group(Path dir) {
      this.dir = dir;
    }

    @Override
    public void add(int pid) {
      try {
        CgroupFiles.write(dir.resolve("cgroup.procs"), Integer.toString(pid));
      } catch (IOException e) {
        throw new ZygoteException(ZygoteException.Reason.SPAWN, "moving pid " + pid + " into " + dir + " failed: " + e);
      }
    }

    @Override
    public java.util.List<Integer> pids() {
      return CgroupFiles.pids(dir);
    }

    @Override
    public void killAll() {
      Path kill = dir.resolve("cgroup.kill"); // Linux 5.14+: kills the whole subtree atomically
      if (Files.exists(kill)) {
        try {
          CgroupFiles.write(kill, "1");
          return;
        } catch (IOException e) {
          // fall back to the loop
        }
      }
      CgroupFiles.killListed(dir);
    }

    @Override
    public boolean killAndWait(long timeoutMillis) {
      long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
      for (int round = 0; ; round++) {
        killAll();
        if (CgroupFiles.pids(dir).isEmpty()) {
          return true;
        }
        if (System.nanoTime() > deadline) {
          return false;
        }
        CgroupFiles.pauseWhileEmptying(round);
      }
    }

    @Override
    public ResourceUsage usage() {
      Path stat = dir.resolve("cpu.stat");
      long peak = CgroupFiles.readLong(dir.resolve("memory.peak")).orElse(0); // Linux 5.19+
      return new ResourceUsage(
          CgroupFiles.keyed(stat, "user_usec").orElse(0),
          CgroupFiles.keyed(stat, "system_usec").orElse(0),
          peak,
          CgroupFiles.keyed(dir.resolve("memory.events"), "oom_kill").orElse(0));
    }

    @Override
    public void remove() {
      CgroupFiles.rmdir(dir, 2000);
    }

    @Override
    public boolean freeze(boolean frozen, long timeoutMillis) {
      Path control = dir.resolve("cgroup.freeze"); // Linux 5.2+
      if (!Files.exists(control)) {
        return false;
      }
      try {
        CgroupFiles.write(control, frozen ? "1" : "0");
      } catch (IOException e) {
        return false;
      }
      // The write returns at once; cgroup.events says when every task has actually stopped.
      long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
      while (CgroupFiles.keyed(dir.resolve("cgroup.events"), "frozen").orElse(-1) != (frozen ? 1 : 0)) {
        if (System.nanoTime() > deadline) {
          return false;
        }
        CgroupFiles.sleep(1);
      }
      return true;
    }
  }
}
