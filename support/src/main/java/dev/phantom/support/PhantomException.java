package dev.phantom.support;

import io.vertx.grpc.common.GrpcStatus;

/**
 * A failure every caller should see as it is: a gRPC status and a message for people.
 * Crosses the event bus as a reply failure whose code is the status number, so a gateway
 * can hand it to its client unchanged.
 */
public final class PhantomException extends RuntimeException {

  private final GrpcStatus status;
  private final long retryAfterMs;

  public PhantomException(GrpcStatus status, String message) {
    this(status, message, 0);
  }

  private PhantomException(GrpcStatus status, String message, long retryAfterMs) {
    super(message, null, false, false);
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }

  public GrpcStatus status() {
    return status;
  }

  /** When a retry may succeed, for Retry-After; 0 when unknown. */
  public long retryAfterMs() {
    return retryAfterMs;
  }

  /** RESOURCE_EXHAUSTED with a hint when to come back. */
  public static PhantomException resourceExhausted(String message, long retryAfterMs) {
    return new PhantomException(GrpcStatus.RESOURCE_EXHAUSTED, message, retryAfterMs);
  }

  public static PhantomException notFound(String message) {
    return new PhantomException(GrpcStatus.NOT_FOUND, message);
  }

  public static PhantomException invalidArgument(String message) {
    return new PhantomException(GrpcStatus.INVALID_ARGUMENT, message);
  }

  public static PhantomException failedPrecondition(String message) {
    return new PhantomException(GrpcStatus.FAILED_PRECONDITION, message);
  }

  public static PhantomException unavailable(String message) {
    return new PhantomException(GrpcStatus.UNAVAILABLE, message);
  }

  public static PhantomException internal(String message) {
    return new PhantomException(GrpcStatus.INTERNAL, message);
  }

  @Override
  public String toString() {
    return status.name() + ": " + getMessage();
  }
}
