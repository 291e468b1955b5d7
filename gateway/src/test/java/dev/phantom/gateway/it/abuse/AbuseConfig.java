package dev.phantom.gateway.it.abuse;

import dev.phantom.gateway.it.LauncherProcess;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What the abuse suite runs against, from system properties (Maven passes {@code -D} user properties on to
 * the forked test JVM):
 * <ul>
 *   <li>{@code phantom.abuse.profiles}: comma-separated profile names, default {@value #DEFAULT_PROFILES};
 *   <li>{@code phantom.abuse.profileDir}: a directory of extra profile YAML files, handed to the policy
 *       compiler as {@code {"policy": {"profileDirs": [dir]}}}, so that a deliberately weakened profile can
 *       be added to the list to prove the suite catches it;
 *   <li>{@code phantom.abuse.warm}: when true, every profile under test gets a warm pool and each request
 *       waits for a free slot, so the whole suite runs against warm slots (CI runs it both ways);
 *   <li>the state directories the cleanup tests count are the meshes' own (each test mesh has its
 *       own) and, for services started with the launcher, {@code target/phantom-home/state}.
 * </ul>
 */
final class AbuseConfig {

  static final String DEFAULT_PROFILES = "strict,minimal,python-dev";

  /** Slots per profile in warm mode. */
  static final int WARM_POOL_SIZE = 3;

  private AbuseConfig() {}

  /** The profiles every test runs against; the source of each {@code @ParameterizedTest}. */
  static Stream<String> profiles() {
    return Arrays.stream(System.getProperty("phantom.abuse.profiles", DEFAULT_PROFILES).split(","))
        .map(String::trim).filter(name -> !name.isEmpty());
  }

  static Optional<Path> profileDir() {
    String dir = System.getProperty("phantom.abuse.profileDir", "").trim();
    return dir.isEmpty() ? Optional.empty() : Optional.of(Path.of(dir).toAbsolutePath());
  }

  /** The state directory of a service the suite starts with the launcher (see LauncherProcess). */
  static Path stateDir() {
    return LauncherProcess.HOME.resolve("state");
  }

  /** The node config for the mesh under test: only the policy section, when a profile directory is given. */
  static JsonObject nodeConfig() {
    JsonObject config = new JsonObject();
    profileDir().ifPresent(dir -> config.put("policy",
        new JsonObject().put("profileDirs", new JsonArray(List.of(dir.toString())))));
    if (warm()) {
      JsonArray pools = new JsonArray();
      profiles().forEach(profile -> pools.add(new JsonObject().put("profile", profile).put("size", WARM_POOL_SIZE)));
      config.put("zygote", new JsonObject().put("pools", pools));
      // The suite counts slots, cgroups and mounts before and after: pools keep the size set here.
      config.put("orchestrator", new JsonObject().put("poolSizingIntervalMs", 0));
    }
    return config;
  }

  /** True when the suite runs against warm slots. */
  static boolean warm() {
    return Boolean.getBoolean("phantom.abuse.warm");
  }

  /** The syscall numbers in the checks are x86_64's. */
  static void assumeX86_64() {
    String arch = System.getProperty("os.arch");
    assumeTrue("amd64".equals(arch) || "x86_64".equals(arch), "syscall numbers are x86_64's; this is " + arch);
  }
}
