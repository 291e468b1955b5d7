package dev.phantom.zygote.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Finding the service's own groups from the text of other hosts. */
class CgroupDiscoveryTest {

  static final String V1_MOUNTINFO = """
      32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
      35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
      39 31 0:36 /docker/abc /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
      41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
      """;

  @Test
  void v1HierarchiesIncludingCoMountedAndContainerRoots() {
    Map<String, String> self = CgroupDiscovery.selfPaths("""
        8:pids:/docker/abc
        4:memory:/process_api/x
        2:cpu,cpuacct:/
        0::/
        """);
    List<CgroupDiscovery.MountLine> mounts = CgroupDiscovery.cgroupMounts(V1_MOUNTINFO);
    assertThat(CgroupDiscovery.v1Dir("memory", self, mounts)).contains(Path.of("/sys/fs/cgroup/memory/process_api/x"));
    assertThat(CgroupDiscovery.v1Dir("cpuacct", self, mounts)).contains(Path.of("/sys/fs/cgroup/cpu,cpuacct"));
    assertThat(CgroupDiscovery.v1Dir("pids", self, mounts)).contains(Path.of("/sys/fs/cgroup/pids"));
    assertThat(CgroupDiscovery.v1Dir("freezer", self, mounts)).isEmpty();
  }

  @Test
  void v2UnifiedHierarchy() {
    Map<String, String> self = CgroupDiscovery.selfPaths("0::/kubepods/pod1/ctr\n");
    List<CgroupDiscovery.MountLine> mounts = CgroupDiscovery.cgroupMounts(
        "30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
    assertThat(CgroupDiscovery.v1Dir("memory", self, mounts)).isEmpty();
    assertThat(CgroupDiscovery.v2Dir(self, mounts)).contains(Path.of("/sys/fs/cgroup/kubepods/pod1/ctr"));
  }

  @Test
  void groupNamesAreSafe() {
    assertThat(CgroupFiles.groupName("a/../b c", 3)).isEqualTo("run-3-a_.._b_c");
    assertThat(CgroupFiles.groupName("x".repeat(300), 1)).hasSize("run-1-".length() + 64);
    assertThat(CgroupDiscovery.unescape("/a\\040b")).isEqualTo("/a b");
  }
}
