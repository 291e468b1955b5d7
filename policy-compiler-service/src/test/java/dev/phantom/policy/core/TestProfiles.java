package dev.phantom.policy.core;

import dev.phantom.policy.ClasspathSyscalls;
import dev.phantom.policy.yaml.ProfileLoader;
import java.util.List;
import java.util.Map;

/** The shipped syscall tables and built-in profiles, loaded once for the tests. */
final class TestProfiles {

  private TestProfiles() {}

  static final Syscalls SYSCALLS = ClasspathSyscalls.load();
  static final Map<String, Profile> BUILTIN = ProfileLoader.load(TestProfiles.class.getClassLoader(), List.of());
}
