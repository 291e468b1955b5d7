package dev.phantom.policy.core;

/**
 * Kernel constants of seccomp filter mode (include/uapi/linux/seccomp.h, linux/audit.h).
 * {@code struct seccomp_data { int nr; u32 arch; u64 instruction_pointer; u64 args[6]; }}.
 */
public final class Seccomp {

  private Seccomp() {}

  public static final int OFFSET_NR = 0;
  public static final int OFFSET_ARCH = 4;
  public static final int OFFSET_INSTRUCTION_POINTER = 8;

  /** Offset of the low 32 bits of argument {@code i} (0..5) on a little-endian host. */
  public static int offsetArgLow(int i) {
    return 16 + 8 * i;
  }

  /** Offset of the high 32 bits of argument {@code i} (0..5) on a little-endian host. */
  public static int offsetArgHigh(int i) {
    return offsetArgLow(i) + 4;
  }

  public static final int RET_KILL_PROCESS = 0x80000000;
  public static final int RET_KILL_THREAD = 0x00000000;
  public static final int RET_TRAP = 0x00030000;
  public static final int RET_ERRNO = 0x00050000;
  public static final int RET_LOG = 0x7ffc0000;
  public static final int RET_ALLOW = 0x7fff0000;
  public static final int RET_DATA_MASK = 0x0000ffff;

  /** x32 syscalls on x86_64 carry this bit in their number. */
  public static final int X32_SYSCALL_BIT = 0x40000000;
}
