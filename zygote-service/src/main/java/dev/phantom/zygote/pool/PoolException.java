package dev.phantom.zygote.pool;

/** A pool request that cannot be honoured. */
public final class PoolException extends RuntimeException {

  public enum Reason {
    /** A negative size, an unknown agent, a change of agent on a live pool. */
    INVALID,
    /** More slots than memory allows; the message gives the ceiling. */
    TOO_LARGE
  }

  private final Reason reason;

  public PoolException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
