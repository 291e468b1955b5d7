package dev.phantom.policy.core;

import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The syscall tables and groups of every supported architecture. A name is valid in a profile when at
 * least one table knows it; on an architecture without that syscall the rule is simply moot.
 */
public final class Syscalls {

  private final Map<Arch, SyscallTable> tables;
  private final Map<Arch, SyscallGroups> groups;

  public Syscalls(Map<Arch, SyscallTable> tables) {
    this(tables, Map.of());
  }

  public Syscalls(Map<Arch, SyscallTable> tables, Map<Arch, SyscallGroups> groups) {
    this.tables = new EnumMap<>(tables);
    this.groups = groups.isEmpty() ? new EnumMap<>(Arch.class) : new EnumMap<>(groups);
    for (Arch arch : Arch.values()) {
      SyscallTable table = this.tables.get(arch);
      if (table == null || table.arch() != arch) {
        throw new IllegalArgumentException("no syscall table for " + arch.unameName());
      }
    }
  }

  public SyscallTable table(Arch arch) {
    return tables.get(arch);
  }

  /** The groups of {@code arch}; null when built without groups. */
  public SyscallGroups groups(Arch arch) {
    return groups.get(arch);
  }

  public boolean knownOnAnyArch(String name) {
    return tables.values().stream().anyMatch(t -> t.numbers().containsKey(name));
  }

  /** Every syscall name of every table, sorted. */
  public Set<String> allNames() {
    Set<String> out = new TreeSet<>();
    tables.values().forEach(t -> out.addAll(t.numbers().keySet()));
    return out;
  }

  /** Every group name of every arch, sorted. */
  public Set<String> allGroups() {
    Set<String> out = new TreeSet<>();
    groups.values().forEach(g -> out.addAll(g.names()));
    return out;
  }

  /** The union over the architectures of the group's syscalls (the arches agree on the names they share). */
  public Set<String> groupMembers(String group) {
    Set<String> out = new TreeSet<>();
    groups.values().forEach(g -> out.addAll(g.members(group)));
    return out;
  }

  /** Highest syscall number of the arch's table. */
  public int highest(Arch arch) {
    return tables.get(arch).numbers().values().stream().mapToInt(Integer::intValue).max().orElse(0);
  }
}
