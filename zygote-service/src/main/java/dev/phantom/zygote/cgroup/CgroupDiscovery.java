package dev.phantom.zygote.cgroup;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds this process's own control groups from {@code /proc/self/cgroup} and {@code /proc/self/mountinfo}.
 * Pure parsing, so the rules are unit-tested with the text of other hosts.
 */
public final class CgroupDiscovery {

  private CgroupDiscovery() {}

  /** One cgroup mount: where it is, which part of the hierarchy it shows, its super options. */
  record MountLine(Path mountPoint, String root, String fsType, List<String> superOptions) {}

  static List<MountLine> cgroupMounts(String mountinfo) {
    return mountinfo.lines().map(line -> {
      String[] halves = line.split(" - ", 2);
      if (halves.length < 2) {
        return null;
      }
      String[] left = halves[0].split(" ");
      String[] right = halves[1].split(" ");
      if (left.length < 5 || right.length < 3 || !(right[0].equals("cgroup") || right[0].equals("cgroup2"))) {
        return null;
      }
      return new MountLine(Path.of(unescape(left[4])), unescape(left[3]), right[0], List.of(right[2].split(",")));
    }).filter(m -> m != null).toList();
  }

  /** mountinfo escapes space, tab, newline and backslash as octal. */
  public static String unescapeField(String field) {
    return unescape(field);
  }

  static String unescape(String field) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < field.length(); i++) {
      char c = field.charAt(i);
      if (c == '\\' && i + 4 <= field.length()) {
        try {
          out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
          i += 3;
          continue;
        } catch (NumberFormatException e) {
          // not an escape
        }
      }
      out.append(c);
    }
    return out.toString();
  }

  /** controller name (or "" for the unified hierarchy) → this process's path in that hierarchy. */
  static Map<String, String> selfPaths(String procSelfCgroup) {
    Map<String, String> paths = new LinkedHashMap<>();
    for (String line : procSelfCgroup.split("\n")) {
      String[] f = line.split(":", 3);
      if (f.length < 3) {
        continue;
      }
      if (f[1].isEmpty()) {
        paths.put("", f[2]);
      } else {
        for (String controller : f[1].split(",")) {
          paths.put(controller, f[2]);
        }
      }
    }
    return paths;
  }

  /** The directory of this process's group for a v1 controller, when that controller is mounted. */
  static Optional<Path> v1Dir(String controller, Map<String, String> self, List<MountLine> mounts) {
    String path = self.get(controller);
    if (path == null) {
      return Optional.empty();
    }
    return mounts.stream()
        .filter(m -> m.fsType().equals("cgroup") && m.superOptions().contains(controller))
        .findFirst()
        .map(m -> m.mountPoint().resolve(relative(path, m.root())));
  }

  /** The directory of this process's group in the unified (v2) hierarchy, when it is mounted. */
  static Optional<Path> v2Dir(Map<String, String> self, List<MountLine> mounts) {
    String path = self.get("");
    if (path == null) {
      return Optional.empty();
    }
    return mounts.stream()
        .filter(m -> m.fsType().equals("cgroup2"))
        .findFirst()
        .map(m -> m.mountPoint().resolve(relative(path, m.root())));
  }

  /**
   * The group path below the mount's root. In a container the mount usually shows only the container's
   * part of the hierarchy (root = the container's group), and /proc/self/cgroup shows either the full path
   * or, with a cgroup namespace, "/" already relative to it.
   */
  static String relative(String path, String root) {
    String rel = path;
    if (!root.equals("/") && (path.equals(root) || path.startsWith(root + "/"))) {
      rel = path.substring(root.length());
    }
    while (rel.startsWith("/")) {
      rel = rel.substring(1);
    }
    return rel;
  }
}
