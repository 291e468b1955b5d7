package dev.phantom.zygote.cgroup;

import dev.phantom.zygote.bwrap.LibC;
import dev.phantom.zygote.core.ResourceLimits;
import dev.phantom.zygote.core.ResourceUsage;
import dev.phantom.zygote.core.SandboxCgroups;
import dev.phantom.zygote.core.ZygoteException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * cgroup v1: one hierarchy per controller (memory, pids, cpu, cpuacct; co-mounted ones share a directory).
 * Each run gets {@code <own group>/<parent>/run-N-<runId>} in every hierarchy.
 */
public final class CgroupV1 implements SandboxCgroups {

  /** Names of parked groups ({@link #park}): {@code launcher-<index>}. */
  private static final String PARKED_PREFIX = "launcher-";

  /** CFS period; the quota is millicores * 100 µs per period. */
  static final long CFS_PERIOD_US = 100_000;

  /** controller → the parent directory in its hierarchy. */
  private final Map<String, Path> parents;
  private final AtomicLong seq = new AtomicLong();
  private final MigrationWarmup warmup;

  /** @param parents controller name → parent group directory (created when missing), below this process's own group */
  public CgroupV1(Map<String, Path> parents) throws IOException {
    this.parents = new LinkedHashMap<>(parents);
    this.warmup = new MigrationWarmup(parents.values().iterator().next().getParent());
    for (Path p : distinctParents()) {
      Files.createDirectories(p);
    }
  }

  private Set<Path> distinctParents() {
    return new LinkedHashSet<>(parents.values());
  }

  @Override
  public String describe() {
    return "cgroup v1 " + parents;
  }

  @Override
  public boolean enforced() {
    return true;
  }

  @Override
  public Group create(String runId, ResourceLimits limits) {
    String name = CgroupFiles.groupName(runId, seq.incrementAndGet());
    V1Group group = new V1Group(dirsNamed(name));
    try {
      for (Path dir : group.distinctDirs()) {
        Files.createDirectory(dir);
      }
      applyLimits(group, limits);
      // Last: the wait holds the kernel's cgroup mutex, which the mkdirs above need too. The group's
      // processes are moved in once bubblewrap has started, about 7 ms from now; the wait is over by then.
      warmup.kick();
      return group;
    } catch (IOException | RuntimeException e) {
      group.remove();
      throw new ZygoteException(ZygoteException.Reason.SPAWN, "creating cgroup " + name + " failed: " + e);
    }
  }

  @Override
  public boolean parks() {
    return true;
  }

  @Override
  public Group park(int index) {
    String name = PARKED_PREFIX + index;
    V1Group group = new V1Group(dirsNamed(name));
    List<Path> made = new ArrayList<>();
    try {
      for (Path dir : group.distinctDirs()) {
        Files.createDirectory(dir);
        made.add(dir);
      }
      return group;
    } catch (IOException | RuntimeException e) {
      made.forEach(dir -> CgroupFiles.rmdir(dir, 2000));
      if (e instanceof java.nio.file.FileAlreadyExistsException taken) {
        throw new java.io.UncheckedIOException(taken);
      }
      throw new ZygoteException(ZygoteException.Reason.SPAWN, "creating cgroup " + name + " failed: " + e);
    }
  }

  @Override
  public Group adopt(Group parked, String runId, ResourceLimits limits) {
    V1Group from = (V1Group) parked;
    V1Group to = new V1Group(dirsNamed(CgroupFiles.groupName(runId, seq.incrementAndGet())));
    try {
      List<Path> source = from.distinctDirs();
      List<Path> target = to.distinctDirs();
      for (int i = 0; i < source.size(); i++) {
        Files.move(source.get(i), target.get(i)); // rename(2): cgroup v1 allows it within one parent
      }
      applyLimits(to, limits);
      // The parked shell's own start is not the run's: peak memory and CPU time count from here.
      Path memory = to.dirs.get("memory");
      if (memory != null) {
        CgroupFiles.write(memory.resolve("memory.max_usage_in_bytes"), "0");
      }
      Path cpuacct = to.dirs.get("cpuacct");
      if (cpuacct != null) {
        CgroupFiles.write(cpuacct.resolve("cpuacct.usage"), "0");
      }
      return to;
    } catch (IOException | RuntimeException e) {
      throw new ZygoteException(ZygoteException.Reason.SPAWN, "handing cgroup " + from.distinctDirs().getFirst()
          + " to run " + runId + " failed: " + e);
    }
  }

  private Map<String, Path> dirsNamed(String name) {
    Map<String, Path> dirs = new LinkedHashMap<>();
    parents.forEach((controller, parent) -> dirs.put(controller, parent.resolve(name)));
    return dirs;
  }

  private static void applyLimits(V1Group group, ResourceLimits limits) throws IOException {
    Path memory = group.dirs.get("memory");
    if (memory != null && limits.memoryBytes() > 0) {
      CgroupFiles.write(memory.resolve("memory.limit_in_bytes"), Long.toString(limits.memoryBytes()));
      // Without this, swap would extend the limit (memsw = memory + swap; absent when swap accounting is off).
      if (Files.exists(memory.resolve("memory.memsw.limit_in_bytes"))) {
        CgroupFiles.write(memory.resolve("memory.memsw.limit_in_bytes"), Long.toString(limits.memoryBytes()));
      }
    }
    Path pids = group.dirs.get("pids");
    if (pids != null && limits.pids() > 0) {
      CgroupFiles.write(pids.resolve("pids.max"), Integer.toString(limits.pids()));
    }
    Path cpu = group.dirs.get("cpu");
    if (cpu != null && limits.cpuMillicores() > 0) {
      CgroupFiles.write(cpu.resolve("cpu.cfs_period_us"), Long.toString(CFS_PERIOD_US));
      CgroupFiles.write(cpu.resolve("cpu.cfs_quota_us"), Long.toString(quotaMicros(limits.cpuMillicores())));
    }
  }

  /** The kernel refuses quotas under 1 ms. */
  static long quotaMicros(int millicores) {
    return Math.max(1000, millicores * CFS_PERIOD_US / 1000);
  }

  @Override
  public int removeLeftovers() {
    Set<String> names = new LinkedHashSet<>();
    for (Path parent : distinctParents()) {
      CgroupFiles.children(parent).forEach(c -> names.add(c.getFileName().toString()));
    }
    for (String name : names) {
      V1Group group = new V1Group(dirsNamed(name));
      group.killAndWait(5000);
      group.remove();
    }
    return names.size();
  }

  @Override
  public void close() {
    removeLeftovers();
    for (Path parent : distinctParents()) {
      CgroupFiles.rmdir(parent, 2000);
    }
  }

  @Override
  public int groupCount() {
    int max = 0;
    for (Path parent : distinctParents()) {
      max = Math.max(max, (int) CgroupFiles.children(parent).stream().filter(d -> !parked(d)).count());
    }
    return max;
  }

  @Override
  public int parkedGroupCount() {
    int max = 0;
    for (Path parent : distinctParents()) {
      max = Math.max(max, (int) CgroupFiles.children(parent).stream().filter(CgroupV1::parked).count());
    }
    return max;
  }

  private static boolean parked(Path dir) {
    return dir.getFileName().toString().startsWith(PARKED_PREFIX);
  }

  private static final class V1Group implements Group {

    private final Map<String, Path> dirs;

    V1Group(Map<String, Path> dirs) {
      this.dirs = dirs;
    }

    List<Path> distinctDirs() {
      return new ArrayList<>(new LinkedHashSet<>(dirs.values()));
    }

    @Override
    public void add(int pid) {
      for (Path dir : distinctDirs()) {
        try {
          CgroupFiles.write(dir.resolve("cgroup.procs"), Integer.toString(pid));
        } catch (IOException e) {
          throw new ZygoteException(ZygoteException.Reason.SPAWN, "moving pid " + pid + " into " + dir + " failed: " + e);
        }
      }
    }

    @Override
    public List<Integer> pids() {
      return CgroupFiles.pids(distinctDirs().getFirst());
    }

    @Override
    public void killAll() {
      // Every process of the sandbox is in every hierarchy; one list is enough, the others catch stragglers.
      for (Path dir : distinctDirs()) {
        if (CgroupFiles.killListed(dir) > 0) {
          return;
        }
      }
    }

    @Override
    public boolean killAndWait(long timeoutMillis) {
      long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
      List<Path> dirs = distinctDirs();
      for (int round = 0; ; round++) {
        // Every process of the sandbox is in every hierarchy: the first list says whether any is left, and
        // the others are read once it is empty (for stragglers), not four files per round.
        int listed = CgroupFiles.killListed(dirs.getFirst());
        for (int i = 1; i < dirs.size() && listed == 0; i++) {
          listed += CgroupFiles.killListed(dirs.get(i));
        }
        if (listed == 0) {
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
      long user = 0;
      long system = 0;
      Path cpuacct = dirs.get("cpuacct");
      if (cpuacct != null) {
        var u = CgroupFiles.readLong(cpuacct.resolve("cpuacct.usage_user"));
        var s = CgroupFiles.readLong(cpuacct.resolve("cpuacct.usage_sys"));
        if (u.isPresent() && s.isPresent()) {
          user = u.getAsLong() / 1000;
          system = s.getAsLong() / 1000;
        } else {
          // USER_HZ is 100 on every Linux ABI the zygote runs on: one tick is 10 ms.
          user = CgroupFiles.keyed(cpuacct.resolve("cpuacct.stat"), "user").orElse(0) * 10_000;
          system = CgroupFiles.keyed(cpuacct.resolve("cpuacct.stat"), "system").orElse(0) * 10_000;
        }
      }
      long peak = 0;
      long oom = 0;
      Path memory = dirs.get("memory");
      if (memory != null) {
        peak = CgroupFiles.readLong(memory.resolve("memory.max_usage_in_bytes")).orElse(0);
        // oom_kill is in memory.oom_control since Linux 4.13.
        oom = CgroupFiles.keyed(memory.resolve("memory.oom_control"), "oom_kill").orElse(0);
      }
      return new ResourceUsage(user, system, peak, oom);
    }

    @Override
    public void remove() {
      for (Path dir : distinctDirs()) {
        CgroupFiles.rmdir(dir, 2000);
      }
    }

    /**
     * Without a freezer hierarchy of our own, SIGSTOP to every listed process until a pass finds no new one
     * (so a fork racing the loop is caught), then a wait until each is stopped; SIGCONT thaws. A process the
     * sandbox stopped itself is continued too: that is the difference from a cgroup freeze.
     */
    @Override
    public boolean freeze(boolean frozen, long timeoutMillis) {
      Path dir = distinctDirs().getFirst();
      if (!frozen) {
        CgroupFiles.pids(dir).forEach(pid -> LibC.get().kill(pid, LibC.SIGCONT));
        return true;
      }
      long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
      Set<Integer> stopped = new LinkedHashSet<>();
      while (true) {
        boolean fresh = false;
        for (int pid : CgroupFiles.pids(dir)) {
          if (stopped.add(pid)) {
            LibC.get().kill(pid, LibC.SIGSTOP);
            fresh = true;
          }
        }
        if (!fresh && stopped.stream().allMatch(CgroupFiles::stoppedOrGone)) {
          return true;
        }
        if (System.nanoTime() > deadline) {
          return false;
        }
        CgroupFiles.pauseWhileEmptying();
      }
    }
  }
}
