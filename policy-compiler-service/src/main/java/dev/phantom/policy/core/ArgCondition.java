package dev.phantom.policy.core;

/**
 * One test of a syscall argument: {@code (arg[index] & mask) == value} or {@code != value}.
 * A plain {@code arg == value} is the full mask. The argument is 64 bits wide unless {@code low32},
 * in which case only its low half is looked at: right for arguments the kernel declares as
 * {@code int}/{@code unsigned int} (socket's domain and type, ioctl's request), because the kernel
 * truncates those, so a caller could set the high half to slip past a 64-bit comparison.
 *
 * @param index argument 0..5 ({@code seccomp_data.args[index]})
 * @param mask bits compared; not 0; within 32 bits when {@code low32}
 * @param value compared against {@code arg & mask}; no bits outside {@code mask}
 * @param equal true for {@code ==}, false for {@code !=}
 * @param low32 compare the low 32 bits only
 */
public record ArgCondition(int index, long mask, long value, boolean equal, boolean low32) {

  public static final long LOW32 = 0xFFFF_FFFFL;

  public ArgCondition {
    if (index < 0 || index > 5) {
      throw new IllegalArgumentException("argument index must be 0..5, not " + index);
    }
    if (mask == 0) {
      throw new IllegalArgumentException("a mask of 0 compares nothing");
    }
    if (low32 && (mask & ~LOW32) != 0) {
      throw new IllegalArgumentException(String.format("mask 0x%x does not fit the 32 bits of low32(arg%d)", mask, index));
    }
    if ((value & ~mask) != 0) {
      throw new IllegalArgumentException(String.format(
          "value 0x%x has bits outside the mask 0x%x, so the condition would %s", value, mask,
          equal ? "never hold" : "always hold"));
    }
  }

  /** {@code arg[index] == value}. */
  public static ArgCondition eq(int index, long value) {
    return new ArgCondition(index, -1L, value, true, false);
  }

  /** {@code low32(arg[index]) == value}. */
  public static ArgCondition eq32(int index, long value) {
    return new ArgCondition(index, LOW32, value, true, true);
  }

  /** Whether the condition holds for these argument values (the reference for the BPF it compiles to). */
  public boolean matches(long[] args) {
    long a = index < args.length ? args[index] : 0;
    if (low32) {
      a &= LOW32;
    }
    boolean same = (a & mask) == value;
    return equal == same;
  }

  /** Canonical spelling, as in profiles, numbers in hex. */
  public String describe() {
    String arg = low32 ? "low32(arg" + index + ")" : "arg" + index;
    long full = low32 ? LOW32 : -1L;
    String masked = mask == full ? arg : arg + String.format(" & 0x%x", mask);
    return masked + (equal ? " == " : " != ") + String.format("0x%x", value);
  }
}
