package dev.phantom.policy.core;

/** A profile that cannot be turned into a filter. The reason names the failing step. */
public final class CompileException extends RuntimeException {

  public enum Reason {
    /** A syscall name that no supported architecture knows. */
    UNKNOWN_SYSCALL,
    /** The same syscall in two rules. */
    DUPLICATE_SYSCALL,
    /** A conditional jump would need more than 255 instructions; the linear layout cannot grow further. */
    JUMP_TOO_FAR,
    /** More than BPF_MAXINSNS instructions. */
    PROGRAM_TOO_LONG
  }

  private final Reason reason;

  public CompileException(Reason reason, String message) {
    super(message, null, false, false);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
