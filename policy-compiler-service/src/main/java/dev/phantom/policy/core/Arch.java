package dev.phantom.policy.core;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A CPU architecture a profile can be compiled for, named as {@code uname -m} reports it.
 * Both are little-endian, which is the byte order of the emitted {@code struct sock_filter} array.
 */
public enum Arch {
  /** {@code AUDIT_ARCH_X86_64}. Also reachable through the x32 ABI, which the filter refuses. */
  X86_64("x86_64", 0xC000003E, true),
  /** {@code AUDIT_ARCH_AARCH64}; uses the generic syscall table. */
  AARCH64("aarch64", 0xC00000B7, false);

  private final String unameName;
  private final int auditArch;
  private final boolean hasX32;

  Arch(String unameName, int auditArch, boolean hasX32) {
    this.unameName = unameName;
    this.auditArch = auditArch;
    this.hasX32 = hasX32;
  }

  public String unameName() {
    return unameName;
  }

  /** The value the kernel puts in {@code seccomp_data.arch}. */
  public int auditArch() {
    return auditArch;
  }

  /**
   * Whether syscall numbers with {@link Seccomp#X32_SYSCALL_BIT} set reach the same arch value
   * (x32 calls report AUDIT_ARCH_X86_64 too, so only the number tells them apart).
   */
  public boolean hasX32() {
    return hasX32;
  }

  public static Optional<Arch> fromUname(String name) {
    return Arrays.stream(values()).filter(a -> a.unameName.equals(name)).findFirst();
  }

  public static List<String> unameNames() {
    return Arrays.stream(values()).map(Arch::unameName).toList();
  }
}
