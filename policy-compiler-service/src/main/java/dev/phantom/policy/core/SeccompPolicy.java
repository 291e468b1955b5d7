package dev.phantom.policy.core;

import java.util.List;
import java.util.Objects;

/**
 * The seccomp part of a profile: rules tried in order (the first whose syscall and argument
 * conditions match decides), then the default action. A syscall may appear in several rules only
 * while the earlier ones have conditions: a rule after an unconditional one for the same syscall
 * could never match, and the compiler refuses it.
 */
public record SeccompPolicy(SeccompAction defaultAction, List<SeccompRule> rules) {

  public SeccompPolicy {
    Objects.requireNonNull(defaultAction, "defaultAction");
    rules = List.copyOf(rules);
  }

  /** What the policy answers for {@code syscall} with these arguments: the reference semantics. */
  public SeccompAction decide(String syscall, long[] args) {
    for (SeccompRule rule : rules) {
      if (rule.syscalls().contains(syscall) && rule.matches(args)) {
        return rule.action();
      }
    }
    return defaultAction;
  }
}
