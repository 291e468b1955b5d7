package dev.phantom.policy;

import dev.phantom.policy.core.Arch;
import dev.phantom.policy.core.CompileException;
import dev.phantom.policy.core.CompiledPolicy;
import dev.phantom.policy.core.PolicyCompiler;
import dev.phantom.policy.core.Profile;
import dev.phantom.policy.core.Syscalls;
import dev.phantom.policy.yaml.ProfileException;
import dev.phantom.policy.yaml.ProfileLibrary;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Every loaded profile compiled for every supported architecture, done once up front so that a
 * profile that cannot compile fails the start instead of a later request. Also compiles inline
 * profiles against the loaded ones. Immutable, thread-safe.
 */
public final class PolicyCatalog {

  private final SortedMap<String, Map<Arch, CompiledPolicy>> compiled;
  private final ProfileLibrary library;
  private final PolicyCompiler compiler;

  private PolicyCatalog(SortedMap<String, Map<Arch, CompiledPolicy>> compiled, ProfileLibrary library,
      PolicyCompiler compiler) {
    this.compiled = Collections.unmodifiableSortedMap(compiled);
    this.library = library;
    this.compiler = compiler;
  }

  /** @throws ProfileException listing every profile and arch that failed to compile */
  public static PolicyCatalog compile(ProfileLibrary library, Syscalls syscalls) {
    PolicyCompiler compiler = new PolicyCompiler(syscalls);
    SortedMap<String, Map<Arch, CompiledPolicy>> compiled = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    for (ProfileLibrary.Entry entry : library.entries().values()) {
      try {
        compiled.put(entry.name(), compileAll(compiler, entry.profile()));
      } catch (ProfileException e) {
        problems.addAll(e.problems());
      }
    }
    if (!problems.isEmpty()) {
      throw new ProfileException(problems);
    }
    return new PolicyCatalog(compiled, library, compiler);
  }

  private static Map<Arch, CompiledPolicy> compileAll(PolicyCompiler compiler, Profile profile) {
    Map<Arch, CompiledPolicy> byArch = new EnumMap<>(Arch.class);
    List<String> problems = new ArrayList<>();
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
    if (!problems.isEmpty()) {
      throw new ProfileException(problems);
    }
    return byArch;
  }

  public List<String> names() {
    return List.copyOf(compiled.keySet());
  }

  public Optional<CompiledPolicy> find(String profile, Arch arch) {
    return Optional.ofNullable(compiled.get(profile)).map(byArch -> byArch.get(arch));
  }

  public Optional<ProfileLibrary.Entry> entry(String profile) {
    return library.find(profile);
  }

  /** An inline profile and its compiled form. */
  public record Inline(ProfileLibrary.Entry entry, CompiledPolicy compiled) {}

  /**
   * Reads and compiles YAML that is not one of the loaded profiles (it may extend one).
   *
   * @throws ProfileException for a profile that cannot be read or compiled
   */
  public Inline compileInline(String origin, String yaml, Arch arch) {
    ProfileLibrary.Entry entry = library.readInline(origin, yaml);
    Map<Arch, CompiledPolicy> all = compileAll(compiler, entry.profile()); // every arch must compile
    return new Inline(entry, all.get(arch));
  }
}
