package dev.phantom.policy.core;

import java.util.List;
import java.util.Optional;

/**
 * One test of a syscall argument: {@code (arg[index] & mask) OP value}. Only {@code ==} and {@code !=}
 * take a mask; the ordered comparisons ({@code <, <=, >, >=}) are unsigned over the whole width, as the
 * kernel hands arguments over as unsigned 64-bit words. The argument is 64 bits wide unless
 * {@code low32}, in which case only its low half is looked at: right for arguments the kernel declares as
 * {@code int}/{@code unsigned int} (socket's domain and type, ioctl's request), because the kernel
 * truncates those, so a caller could set the high half to slip past a 64-bit comparison.
 *
 * @param index argument 0..5 ({@code seccomp_data.args[index]})
 * @param op the comparison
 * @param mask bits compared; not 0; within 32 bits when {@code low32}; the full width unless == or !=
 * @param value compared against {@code arg & mask}; no bits outside {@code mask}
 * @param low32 compare the low 32 bits only
 */
public record ArgCondition(int index, Op op, long mask, long value, boolean low32) {

  public static final long LOW32 = 0xFFFF_FFFFL;

  /** The comparisons, spelled as in profiles. */
  public enum Op {
    EQ("=="), NE("!="), LT("<"), LE("<="), GT(">"), GE(">=");

    private final String spelling;

    Op(String spelling) {
      this.spelling = spelling;
    }

    public String spelling() {
      return spelling;
    }

    public static Optional<Op> fromSpelling(String s) {
      for (Op op : values()) {
        if (op.spelling.equals(s)) {
          return Optional.of(op);
        }
      }
      return Optional.empty();
    }

    /** The comparison that holds exactly when this one does not. */
    public Op negated() {
      return switch (this) {
        case EQ -> NE;
        case NE -> EQ;
        case LT -> GE;
        case GE -> LT;
        case LE -> GT;
        case GT -> LE;
      };
    }

    public boolean equality() {
      return this == EQ || this == NE;
    }
  }

  public ArgCondition {
    if (index < 0 || index > 5) {
      throw new IllegalArgumentException("argument index must be 0..5, not " + index);
    }
    if (op == null) {
      throw new IllegalArgumentException("no comparison");
    }
    if (mask == 0) {
      throw new IllegalArgumentException("a mask of 0 compares nothing");
    }
    long full = low32 ? LOW32 : -1L;
    if (low32 && (mask & ~LOW32) != 0) {
      throw new IllegalArgumentException(String.format("mask 0x%x does not fit the 32 bits of low32(arg%d)", mask, index));
    }
    if (!op.equality() && mask != full) {
      throw new IllegalArgumentException("only == and != take a mask; " + op.spelling() + " compares the whole "
          + (low32 ? "low 32 bits" : "64-bit argument"));
    }
    if (low32 && (value & ~LOW32) != 0) {
      throw new IllegalArgumentException(String.format(
          "value 0x%x does not fit the 32 bits of low32(arg%d) (at most 0xffffffff)", value, index));
    }
    if ((value & ~mask) != 0) {
      throw new IllegalArgumentException(String.format(
          "value 0x%x has bits outside the mask 0x%x, so the condition would %s", value, mask,
          op == Op.EQ ? "never hold" : "always hold"));
    }
  }

  /** The former spelling: {@code equal} true for {@code ==}, false for {@code !=}. */
  public ArgCondition(int index, long mask, long value, boolean equal, boolean low32) {
    this(index, equal ? Op.EQ : Op.NE, mask, value, low32);
  }

  /** {@code arg[index] == value}. */
  public static ArgCondition eq(int index, long value) {
    return new ArgCondition(index, Op.EQ, -1L, value, false);
  }

  /** {@code low32(arg[index]) == value}. */
  public static ArgCondition eq32(int index, long value) {
    return new ArgCondition(index, Op.EQ, LOW32, value, true);
  }

  /** {@code arg[index] OP value} over all 64 bits. */
  public static ArgCondition compare(int index, Op op, long value) {
    return new ArgCondition(index, op, -1L, value, false);
  }

  /** {@code low32(arg[index]) OP value}. */
  public static ArgCondition compare32(int index, Op op, long value) {
    return new ArgCondition(index, op, LOW32, value, true);
  }

  /** Whether this is {@code ==} (kept for callers of the two-operator form). */
  public boolean equal() {
    return op == Op.EQ;
  }

  /** The width compared: all 64 bits, or the low 32. */
  public long fullMask() {
    return low32 ? LOW32 : -1L;
  }

  /** Whether the condition holds for these argument values (the reference for the BPF it compiles to). */
  public boolean matches(long[] args) {
    long a = index < args.length ? args[index] : 0;
    if (low32) {
      a &= LOW32;
    }
    return switch (op) {
      case EQ -> (a & mask) == value;
      case NE -> (a & mask) != value;
      case LT -> Long.compareUnsigned(a, value) < 0;
      case LE -> Long.compareUnsigned(a, value) <= 0;
      case GT -> Long.compareUnsigned(a, value) > 0;
      case GE -> Long.compareUnsigned(a, value) >= 0;
    };
  }

  /** Canonical spelling, as in profiles, numbers in hex. */
  public String describe() {
    String arg = low32 ? "low32(arg" + index + ")" : "arg" + index;
    String masked = mask == fullMask() ? arg : arg + String.format(" & 0x%x", mask);
    return masked + " " + op.spelling() + " " + String.format("0x%x", value);
  }

  /**
   * Why these conditions (ANDed) can never hold together, if that can be seen without search: two
   * equalities on the same bits with different values, {@code ==} and {@code !=} of the same value, or
   * bounds that leave an empty interval. Empty when no contradiction is found.
   */
  public static Optional<String> contradiction(List<ArgCondition> conditions) {
    for (int i = 0; i < conditions.size(); i++) {
      ArgCondition a = conditions.get(i);
      if (a.op == Op.LT && a.value == 0) {
        return Optional.of("'" + a.describe() + "' never holds (nothing is below 0)");
      }
      if (a.op == Op.GT && a.value == a.fullMask()) {
        return Optional.of("'" + a.describe() + "' never holds (nothing is above the largest value)");
      }
      for (int j = i + 1; j < conditions.size(); j++) {
        ArgCondition b = conditions.get(j);
        if (a.index != b.index || a.low32 != b.low32) {
          continue;
        }
        long common = a.mask & b.mask;
        String both = "'" + a.describe() + "' and '" + b.describe() + "'";
        if (a.op == Op.EQ && b.op == Op.EQ && (a.value & common) != (b.value & common)) {
          return Optional.of(both + " cannot both hold");
        }
        if (a.mask == b.mask && a.value == b.value
            && ((a.op == Op.EQ && b.op == Op.NE) || (a.op == Op.NE && b.op == Op.EQ))) {
          return Optional.of(both + " cannot both hold");
        }
      }
    }
    // interval per (index, width) from the full-width comparisons
    for (ArgCondition a : conditions) {
      long lo = 0;
      long hi = a.fullMask();
      for (ArgCondition b : conditions) {
        if (b.index != a.index || b.low32 != a.low32 || (b.op.equality() && b.mask != b.fullMask()) || b.op == Op.NE) {
          continue;
        }
        switch (b.op) {
          case EQ -> {
            lo = max(lo, b.value);
            hi = min(hi, b.value);
          }
          case LT -> hi = min(hi, b.value - 1);
          case LE -> hi = min(hi, b.value);
          case GT -> lo = max(lo, b.value + 1);
          case GE -> lo = max(lo, b.value);
          default -> { }
        }
      }
      if (Long.compareUnsigned(lo, hi) > 0) {
        return Optional.of("the conditions on " + (a.low32 ? "low32(arg" + a.index + ")" : "arg" + a.index)
            + " leave no value that satisfies them all");
      }
    }
    return Optional.empty();
  }

  private static long max(long a, long b) {
    return Long.compareUnsigned(a, b) >= 0 ? a : b;
  }

  private static long min(long a, long b) {
    return Long.compareUnsigned(a, b) <= 0 ? a : b;
  }
}
