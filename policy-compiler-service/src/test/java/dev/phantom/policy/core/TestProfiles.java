package dev.phantom.policy.core;

import dev.phantom.policy.ClasspathSyscalls;
import dev.phantom.policy.yaml.ProfileLibrary;
import dev.phantom.policy.yaml.ProfileLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** The shipped syscall tables and built-in profiles, loaded once for the tests. */
public final class TestProfiles {

  private TestProfiles() {}

  public static final Syscalls SYSCALLS = ClasspathSyscalls.load();
  public static final Map<String, Profile> BUILTIN = ProfileLoader.load(TestProfiles.class.getClassLoader(), List.of());
  public static final ProfileLibrary LIBRARY = ProfileLoader.library(TestProfiles.class.getClassLoader(), List.of(), SYSCALLS);

  /** The benchmark's Docker-default-equivalent profile (src/test/resources/bench/docker-default.yaml). */
  public static Profile dockerDefault() {
    return LIBRARY.readInline("bench/docker-default.yaml", resource("bench/docker-default.yaml")).profile();
  }

  public static String resource(String name) {
    try (InputStream in = TestProfiles.class.getClassLoader().getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
