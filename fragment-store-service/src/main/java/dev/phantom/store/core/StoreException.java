package dev.phantom.store.core;

/** A store operation that failed; the reason names the failing step and decides the gRPC status. */
public final class StoreException extends RuntimeException {

  /** Each maps to one status (see the grpc and bus adapters). */
  public enum Reason {
    /** Bytes on disk do not hash to their name, or do not decompress: DATA_LOSS; never served. */
    CORRUPT,
    /** No such chunk, tree or tag: NOT_FOUND. */
    NOT_FOUND,
    /** The disk (or quota) is full: RESOURCE_EXHAUSTED; nothing half-written is left visible. */
    DISK_FULL,
    /** The request is wrong (bad tag name, digest mismatch, bad archive entry): INVALID_ARGUMENT. */
    INVALID,
    /** A manifest names chunks or trees the store does not have: FAILED_PRECONDITION. */
    INCOMPLETE,
    /** The data directory is held by another process: FAILED_PRECONDITION. */
    LOCKED,
    /** Any other I/O failure: INTERNAL. */
    IO
  }

  private final Reason reason;

  public StoreException(Reason reason, String message) {
    this(reason, message, null);
  }

  public StoreException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  public static StoreException invalid(String message) {
    return new StoreException(Reason.INVALID, message);
  }

  public static StoreException notFound(String message) {
    return new StoreException(Reason.NOT_FOUND, message);
  }

  @Override
  public String toString() {
    return reason + ": " + getMessage();
  }
}
