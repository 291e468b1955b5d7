package dev.phantom.policy.core;

import java.util.List;
import java.util.Objects;

/**
 * The seccomp part of a profile: rules tried in order, then the default action. A syscall may
 * appear in one rule only, so the order of rules never changes the outcome.
 */
public record SeccompPolicy(SeccompAction defaultAction, List<SeccompRule> rules) {

  public SeccompPolicy {
    Objects.requireNonNull(defaultAction, "defaultAction");
    rules = List.copyOf(rules);
  }
}
