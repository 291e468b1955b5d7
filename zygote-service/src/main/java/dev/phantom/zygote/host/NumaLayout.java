package dev.phantom.zygote.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The host's NUMA nodes and their CPUs, from /sys/devices/system/node/node*&#47;cpulist. Pinning warm pools to
 * one cpuset per NUMA node is not done yet (see the README): on a multi-node host the zygote says so at start,
 * on a single-node host there is nothing to pin.
 */
public record NumaLayout(List<String> cpuLists) {

  public static final Path SYSFS = Path.of("/sys/devices/system/node");

  public static NumaLayout read(Path sysfs) {
    List<String> lists = new ArrayList<>();
    try (Stream<Path> entries = Files.list(sysfs)) {
      for (Path node : entries.filter(p -> p.getFileName().toString().matches("node\\d+")).sorted().toList()) {
        lists.add(Files.readString(node.resolve("cpulist")).strip());
      }
    } catch (IOException e) {
      // no sysfs node directory (containers sometimes hide it): one node as far as we can tell
    }
    return new NumaLayout(List.copyOf(lists));
  }

  /** The line the zygote logs at start. */
  public String describe() {
    if (cpuLists.size() <= 1) {
      return "NUMA: one node, no pinning";
    }
    return "NUMA: " + cpuLists.size() + " nodes (cpus " + String.join(" | ", cpuLists)
        + "); warm pools are not pinned per node yet, the kernel's scheduler places them";
  }
}
