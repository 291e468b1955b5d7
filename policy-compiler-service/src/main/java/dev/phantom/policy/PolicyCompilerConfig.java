package dev.phantom.policy;

import dev.phantom.support.config.ConfigReader;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
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
    ConfigReader reader = new ConfigReader("policy", json, KEYS);
    List<Path> dirs = reader.strings(PROFILE_DIRS).stream().map(Path::of).toList();
    reader.validate();
    return new PolicyCompilerConfig(dirs);
  }
}
