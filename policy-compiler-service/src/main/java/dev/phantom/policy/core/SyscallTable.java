package dev.phantom.policy.core;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/** Syscall name to number for one architecture. */
public record SyscallTable(Arch arch, Map<String, Integer> numbers) {

  public SyscallTable {
    Objects.requireNonNull(arch, "arch");
    numbers = Collections.unmodifiableMap(new LinkedHashMap<>(numbers));
  }

  public OptionalInt number(String name) {
    Integer n = numbers.get(name);
    return n == null ? OptionalInt.empty() : OptionalInt.of(n);
  }

  /**
   * Parses the {@code syscalls/<arch>.tsv} format: {@code name<TAB>number} lines, {@code #} comments
   * and blank lines ignored.
   *
   * @param origin names the text in error messages
   */
  public static SyscallTable parse(Arch arch, String origin, String text) {
    Map<String, Integer> numbers = new LinkedHashMap<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+");
      if (parts.length != 2 || !parts[1].matches("\\d{1,6}")) {
        throw new IllegalArgumentException(origin + ":" + (i + 1) + ": expected 'name<TAB>number', got '" + line + "'");
      }
      if (numbers.put(parts[0], Integer.parseInt(parts[1])) != null) {
        throw new IllegalArgumentException(origin + ":" + (i + 1) + ": syscall '" + parts[0] + "' listed twice");
      }
    }
    if (numbers.isEmpty()) {
      throw new IllegalArgumentException(origin + ": no syscalls");
    }
    return new SyscallTable(arch, numbers);
  }
}
