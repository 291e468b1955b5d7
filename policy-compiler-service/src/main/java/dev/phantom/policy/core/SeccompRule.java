package dev.phantom.policy.core;

import java.util.List;
import java.util.Objects;

/**
 * Syscalls that get one action, optionally only when all argument conditions hold.
 *
 * @param syscalls names as in the kernel's tables ({@code unistd_64.h}), at least one
 * @param conditions ANDed; empty means the rule matches on the syscall number alone
 * @param action what the filter answers for them
 */
public record SeccompRule(List<String> syscalls, List<ArgCondition> conditions, SeccompAction action) {

  public SeccompRule {
    syscalls = List.copyOf(syscalls);
    if (syscalls.isEmpty()) {
      throw new IllegalArgumentException("a seccomp rule needs at least one syscall");
    }
    conditions = List.copyOf(conditions);
    Objects.requireNonNull(action, "action");
  }

  /** A rule that matches on the syscall number alone. */
  public SeccompRule(List<String> syscalls, SeccompAction action) {
    this(syscalls, List.of(), action);
  }

  public boolean unconditional() {
    return conditions.isEmpty();
  }

  /** Whether every condition holds for these argument values. */
  public boolean matches(long[] args) {
    return conditions.stream().allMatch(c -> c.matches(args));
  }
}
