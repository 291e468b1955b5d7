package dev.phantom.policy;

import dev.phantom.policy.core.Arch;
import dev.phantom.policy.core.CompileException;
import dev.phantom.policy.core.CompiledPolicy;
import dev.phantom.policy.core.PolicyCompiler;
import dev.phantom.policy.core.Profile;
import dev.phantom.policy.core.Syscalls;
import dev.phantom.policy.yaml.ProfileException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Every loaded profile compiled for every supported architecture, done once up front so that a
 * profile that cannot compile fails the start instead of a later request. Immutable, thread-safe.
 */
public final class PolicyCatalog {

  private final SortedMap<String, Map<Arch, CompiledPolicy>> compiled;

  private PolicyCatalog(SortedMap<String, Map<Arch, CompiledPolicy>> compiled) {
    this.compiled = Collections.unmodifiableSortedMap(compiled);
  }

  /** @throws ProfileException listing every profile and arch that failed to compile */
  public static PolicyCatalog compile(Map<String, Profile> profiles, Syscalls syscalls) {
    PolicyCompiler compiler = new PolicyCompiler(syscalls);
    SortedMap<String, Map<Arch, CompiledPolicy>> compiled = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    for (Profile profile : profiles.values()) {
      Map<Arch, CompiledPolicy> byArch = new java.util.EnumMap<>(Arch.class);
      for (Arch arch : Arch.values()) {
        try {
          byArch.put(arch, compiler.compile(profile, arch));
        } catch (CompileException e) {
          String problem = "profile '" + profile.name() + "': seccomp: " + e.getMessage();
          if (!problems.contains(problem)) {
            problems.add(problem);
          }
        }
      }
      compiled.put(profile.name(), byArch);
    }
    if (!problems.isEmpty()) {
      throw new ProfileException(problems);
    }
    return new PolicyCatalog(compiled);
  }

  public List<String> names() {
    return List.copyOf(compiled.keySet());
  }

  public Optional<CompiledPolicy> find(String profile, Arch arch) {
    return Optional.ofNullable(compiled.get(profile)).map(byArch -> byArch.get(arch));
  }
}
