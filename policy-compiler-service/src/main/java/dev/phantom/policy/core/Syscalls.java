package dev.phantom.policy.core;

import java.util.EnumMap;
import java.util.Map;

/**
 * The syscall tables of every supported architecture. A name is valid in a profile when at
 * least one table knows it; on an architecture without that syscall the rule is simply moot.
 */
public final class Syscalls {

  private final Map<Arch, SyscallTable> tables;

  public Syscalls(Map<Arch, SyscallTable> tables) {
    this.tables = new EnumMap<>(tables);
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

  public boolean knownOnAnyArch(String name) {
    return tables.values().stream().anyMatch(t -> t.numbers().containsKey(name));
  }
}
