package dev.phantom.policy.yaml;

import java.util.List;

/**
 * Profiles that could not be loaded. Each problem reads {@code file:line:column: field: what is wrong},
 * and all problems found are reported at once.
 */
public final class ProfileException extends RuntimeException {

  private final List<String> problems;

  public ProfileException(List<String> problems) {
    super(render(problems), null, false, false);
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }

  private static String render(List<String> problems) {
    if (problems.size() == 1) {
      return problems.getFirst();
    }
    return problems.size() + " profile problems:\n  " + String.join("\n  ", problems);
  }
}
