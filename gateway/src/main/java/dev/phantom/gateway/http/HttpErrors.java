package dev.phantom.gateway.http;

import dev.phantom.support.PhantomException;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.util.logging.Level;
import java.util.logging.Logger;

/** gRPC statuses as HTTP statuses, and the JSON error body every HTTP failure has. */
final class HttpErrors {

  private static final Logger LOG = Logger.getLogger(HttpErrors.class.getName());

  private HttpErrors() {}

  /** The usual mapping (as in Google's HTTP/JSON transcoding). */
  static int httpStatus(GrpcStatus status) {
    return switch (status) {
      case OK -> 200;
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
      case UNAUTHENTICATED -> 401;
      case PERMISSION_DENIED -> 403;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, ABORTED -> 409;
      case RESOURCE_EXHAUSTED -> 429;
      case CANCELLED -> 499;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
      case DEADLINE_EXCEEDED -> 504;
      default -> 500;
    };
  }

  /** Ends {@code response} with the failure as JSON; returns the gRPC status name, for meters. */
  static String send(HttpServerResponse response, Throwable failure) {
    PhantomException phantom = failure instanceof PhantomException p ? p : unexpected(failure);
    if (response.ended() || response.closed()) {
      return phantom.status().name();
    }
    if (phantom.status() == GrpcStatus.UNAUTHENTICATED) {
      response.putHeader("WWW-Authenticate", "Bearer");
    }
    if (phantom.retryAfterMs() > 0) {
      response.putHeader("Retry-After", Long.toString(Math.max(1, (phantom.retryAfterMs() + 999) / 1000)));
    }
    response.setStatusCode(httpStatus(phantom.status()))
        .putHeader("content-type", "application/json")
        .end(body(httpStatus(phantom.status()), phantom.status().name(), phantom.getMessage()).encode());
    return phantom.status().name();
  }

  static JsonObject body(int code, String status, String message) {
    return new JsonObject().put("error",
        new JsonObject().put("code", code).put("status", status).put("message", message));
  }

  private static PhantomException unexpected(Throwable failure) {
    LOG.log(Level.SEVERE, "HTTP request failed unexpectedly", failure);
    return PhantomException.internal("internal error: " + failure);
  }
}
