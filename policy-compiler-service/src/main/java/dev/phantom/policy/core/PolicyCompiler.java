package dev.phantom.policy.core;

/** Profile plus architecture in, everything a zygote needs out. Pure and thread-safe. */
public final class PolicyCompiler {

  /**
   * Part of every digest. Bump it whenever the same profile would compile to different output
   * (new layout, new syscall tables), so caches keyed by digest never mix the two.
   */
  public static final String COMPILER_VERSION = "phantom-policy/4";

  private final SeccompCompiler seccomp;

  public PolicyCompiler(Syscalls syscalls) {
    this.seccomp = new SeccompCompiler(syscalls);
  }

  /** @throws CompileException when the profile's seccomp section cannot be compiled for {@code arch} */
  public CompiledPolicy compile(Profile profile, Arch arch) {
    BpfProgram filter = seccomp.compile(profile.seccomp(), arch);
    return new CompiledPolicy(profile, arch, ProfileDigest.of(profile, COMPILER_VERSION), filter);
  }
}
