package dev.phantom.zygote.cgroup;

import dev.phantom.zygote.core.SandboxCgroups;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Picks the cgroup implementation of this host at start. */
public final class Cgroups {

  static final List<String> V1_CONTROLLERS = List.of("memory", "pids", "cpu", "cpuacct");

  private Cgroups() {}

  /** The result of detection: the implementation, or why there is none. */
  public record Detected(SandboxCgroups cgroups, Optional<String> problem) {}

  /**
   * v1 when the memory controller is mounted as a v1 hierarchy (hybrid hosts included), else v2 when the
   * unified hierarchy offers memory, pids or cpu, else none.
   *
   * @param parentName stable name of the parent group of all runs of this service
   */
  public static Detected detect(String parentName) {
    String self;
    String mountinfo;
    try {
      self = Files.readString(Path.of("/proc/self/cgroup"));
      mountinfo = Files.readString(Path.of("/proc/self/mountinfo"));
    } catch (IOException e) {
      return new Detected(SandboxCgroups.NONE, Optional.of("cannot read /proc/self/cgroup or mountinfo: " + e));
    }
    Map<String, String> paths = CgroupDiscovery.selfPaths(self);
    List<CgroupDiscovery.MountLine> mounts = CgroupDiscovery.cgroupMounts(mountinfo);
    try {
      if (CgroupDiscovery.v1Dir("memory", paths, mounts).isPresent()) {
        Map<String, Path> parents = new LinkedHashMap<>();
        for (String controller : V1_CONTROLLERS) {
          CgroupDiscovery.v1Dir(controller, paths, mounts).ifPresent(dir -> parents.put(controller, dir.resolve(parentName)));
        }
        return new Detected(new CgroupV1(parents), Optional.empty());
      }
      Optional<Path> v2 = CgroupDiscovery.v2Dir(paths, mounts);
      if (v2.isPresent()) {
        return new Detected(new CgroupV2(v2.get(), parentName), Optional.empty());
      }
      return new Detected(SandboxCgroups.NONE, Optional.of("no cgroup v1 memory hierarchy and no cgroup v2 mount"));
    } catch (IOException | RuntimeException e) {
      return new Detected(SandboxCgroups.NONE, Optional.of("cannot set up the sandbox cgroups: " + e));
    }
  }
}
