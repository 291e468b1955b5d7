package dev.phantom.policy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Configuration of the policy role (its section of the node configuration).
 *
 * @param profileDirs extra directories whose {@code *.yaml} files are loaded as profiles, after the
 *     built-in ones; key {@code profileDirs}, default none
 */
public record PolicyCompilerConfig(List<Path> profileDirs) {

  public static final String PROFILE_DIRS = "profileDirs";
  private static final Set<String> KEYS = Set.of(PROFILE_DIRS);

  public PolicyCompilerConfig {
    profileDirs = List.copyOf(profileDirs);
  }

  /** Reads and checks the config; throws with every problem listed. */
  public static PolicyCompilerConfig from(JsonObject json) {
    List<String> problems = new ArrayList<>();
    for (String key : json.fieldNames()) {
      if (!KEYS.contains(key)) {
        problems.add("unknown key '" + key + "'; known keys: " + String.join(", ", KEYS));
      }
    }
    List<Path> dirs = new ArrayList<>();
    Object raw = json.getValue(PROFILE_DIRS);
    if (raw != null && !(raw instanceof JsonArray)) {
      problems.add(PROFILE_DIRS + " must be a JSON array of directory paths");
    } else if (raw instanceof JsonArray array) {
      for (int i = 0; i < array.size(); i++) {
        if (array.getValue(i) instanceof String s && !s.isBlank()) {
          dirs.add(Path.of(s));
        } else {
          problems.add(PROFILE_DIRS + "[" + i + "] must be a non-empty string, not " + array.getValue(i));
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid policy config: " + String.join("; ", problems));
    }
    return new PolicyCompilerConfig(dirs);
  }
}
