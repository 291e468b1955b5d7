package dev.phantom.gateway.core;

import java.util.List;
import java.util.Optional;

/** The languages RunCode knows: which profile runs them, and how their program file is started. */
public final class Languages {

  /**
   * @param fileName the program is saved as /workspace/{fileName}
   * @param command argv that runs it from /workspace; the caller's arguments follow
   */
  public record Language(String name, String profile, String fileName, List<String> command) {}

  private static final List<Language> ALL = List.of(
      new Language("python", "python-dev", "main.py", List.of("python3", "main.py")),
      new Language("node", "node-dev", "main.js", List.of("node", "main.js")),
      new Language("sh", "minimal", "main.sh", List.of("sh", "main.sh")));

  private Languages() {}

  public static List<Language> all() {
    return ALL;
  }

  public static Optional<Language> find(String name) {
    return ALL.stream().filter(language -> language.name().equals(name)).findFirst();
  }

  public static String names() {
    return String.join(", ", ALL.stream().map(Language::name).toList());
  }
}
