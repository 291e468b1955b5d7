package dev.phantom.policy.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Named sets of syscalls for one architecture ({@code @file-system}, {@code @mount}, ...), read from
 * {@code syscalls/<arch>.groups}. A group may name other groups; {@link #members} expands them.
 */
public final class SyscallGroups {

  private final Arch arch;
  /** group to its direct members (syscalls and groups), in file order. */
  private final Map<String, List<String>> direct;

  private SyscallGroups(Arch arch, Map<String, List<String>> direct) {
    this.arch = arch;
    this.direct = direct;
  }

  public Arch arch() {
    return arch;
  }

  public Set<String> names() {
    return Collections.unmodifiableSet(direct.keySet());
  }

  public boolean contains(String group) {
    return direct.containsKey(group);
  }

  /** Every syscall of the group, nested groups expanded, sorted; empty for an unknown group. */
  public Set<String> members(String group) {
    Set<String> out = new TreeSet<>();
    expand(group, out, new LinkedHashSet<>());
    return out;
  }

  private void expand(String group, Set<String> out, Set<String> path) {
    if (!path.add(group)) {
      throw new IllegalStateException("group cycle: " + String.join(" -> ", path) + " -> " + group);
    }
    for (String m : direct.getOrDefault(group, List.of())) {
      if (m.startsWith("@")) {
        expand(m, out, path);
      } else {
        out.add(m);
      }
    }
    path.remove(group);
  }

  /**
   * Parses {@code @group} (declares it, possibly empty on this arch) and {@code @group<TAB>member}
   * lines; {@code #} comments. Members must be syscalls of {@code table} or declared groups.
   */
  public static SyscallGroups parse(SyscallTable table, String origin, String text) {
    Map<String, List<String>> direct = new TreeMap<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+");
      if (parts.length > 2 || !parts[0].matches("@[a-z0-9-]+")) {
        throw new IllegalArgumentException(origin + ":" + (i + 1) + ": expected '@group' or '@group<TAB>member', got '" + line + "'");
      }
      List<String> members = direct.computeIfAbsent(parts[0], g -> new ArrayList<>());
      if (parts.length == 2) {
        String m = parts[1];
        if (!m.startsWith("@") && table.number(m).isEmpty()) {
          throw new IllegalArgumentException(origin + ":" + (i + 1) + ": '" + m + "' is not a syscall of "
              + table.arch().unameName());
        }
        members.add(m);
      }
    }
    for (Map.Entry<String, List<String>> e : direct.entrySet()) {
      for (String m : e.getValue()) {
        if (m.startsWith("@") && !direct.containsKey(m)) {
          throw new IllegalArgumentException(origin + ": group " + e.getKey() + " names unknown group " + m);
        }
      }
    }
    SyscallGroups groups = new SyscallGroups(table.arch(), direct);
    direct.keySet().forEach(groups::members); // fails on cycles
    return groups;
  }
}
