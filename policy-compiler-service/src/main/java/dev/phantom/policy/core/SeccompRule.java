package dev.phantom.policy.core;

import java.util.List;

/**
 * Syscalls that get one action. Today a rule matches on the syscall number alone; argument
 * conditions will be a further component (a rule then matches when all its conditions hold).
 *
 * @param syscalls names as in the kernel's tables ({@code unistd_64.h}), at least one
 * @param action what the filter answers for them
 */
public record SeccompRule(List<String> syscalls, SeccompAction action) {

  public SeccompRule {
    syscalls = List.copyOf(syscalls);
    if (syscalls.isEmpty()) {
      throw new IllegalArgumentException("a seccomp rule needs at least one syscall");
    }
    java.util.Objects.requireNonNull(action, "action");
  }
}
