package dev.phantom.zygote.core;

/** A spawn that could not even be attempted, or whose plumbing failed; the reason names the failing step. */
public final class ZygoteException extends RuntimeException {

  /** The step that failed. The bus endpoint maps each one to a gRPC status. */
  public enum Reason {
    /** The request or profile cannot be turned into a sandbox (bad argv, env name, timeout, seccomp size). */
    INVALID_REQUEST,
    /** bubblewrap is not installed on this node. */
    BUBBLEWRAP_MISSING,
    /** The node already runs as many sandboxes as it may. */
    AT_CAPACITY,
    /** Creating pipes or calling posix_spawn failed (fd exhaustion, fork failure). */
    SPAWN,
    /** The node is stopping and takes no new runs. */
    STOPPING,
    /** The job is larger than a sandbox takes (its command line and environment). */
    TOO_LARGE
  }

  private final Reason reason;

  public ZygoteException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  @Override
  public String toString() {
    return reason + ": " + getMessage();
  }
}
