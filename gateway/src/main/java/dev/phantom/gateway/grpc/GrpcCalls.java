package dev.phantom.gateway.grpc;

import dev.phantom.gateway.ApiMetrics;
import dev.phantom.gateway.access.AccessControl;
import dev.phantom.support.PhantomException;
import dev.phantom.support.trace.StageTrace;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Timer;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.StatusException;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What every gRPC method of the gateway does around its own work: admit the caller (key and rate),
 * time and audit the call, answer a unary call only once its request has fully arrived, notice
 * cancellation, and turn failures into statuses. The endpoints bind methods with these rather than
 * extending the generated service, which hides the request (headers, cancellation).
 */
public final class GrpcCalls {

  private static final Logger LOG = Logger.getLogger(GrpcCalls.class.getName());

  private final AccessControl access;
  private final ApiMetrics metrics;

  public GrpcCalls(AccessControl access, ApiMetrics metrics) {
    this.access = access;
    this.metrics = metrics;
  }

  /** A call handler told who is calling and how to report the call's end (the gRPC status name). */
  public interface AdmittedHandler<Q, R> {
    void handle(GrpcServerRequest<Q, R> call, String caller, Consumer<String> ended);
  }

  /** A unary method: the caller, the request, and a future that completes if the client goes away. */
  public interface UnaryMethod<Q, R> {
    Future<R> apply(String caller, Q request, Future<Void> cancelled);
  }

  /**
   * Admits the caller before the call is handled, and times and audits every call. A refused call is
   * answered without its request being looked at.
   */
  public <Q, R> Handler<GrpcServerRequest<Q, R>> admitted(AdmittedHandler<Q, R> handler) {
    return call -> {
      long start = System.nanoTime();
      String method = call.methodName();
      String[] caller = {""};
      boolean[] recorded = new boolean[1];
      Consumer<String> ended = status -> {
        if (!recorded[0]) {
          recorded[0] = true;
          metrics.record("grpc", method, status, start, caller[0], "", "");
        }
      };
      call.response().exceptionHandler(failure -> ended.accept("CANCELLED"));
      try {
        caller[0] = access.admit(call.headers(), call.connection().remoteAddress().hostAddress(), "grpc");
      } catch (PhantomException refused) {
        // Answer once the request is in, as for any unary error (see whenReceived).
        call.handler(ignored -> { });
        call.endHandler(end -> ended.accept(fail(call.response(), refused)));
        return;
      }
      handler.handle(call, caller[0], ended);
    };
  }

  /** A unary method: acts once the request has arrived, replies with the future's value or its status. */
  public <Q, R> Handler<GrpcServerRequest<Q, R>> unary(UnaryMethod<Q, R> method) {
    return admitted((call, caller, ended) -> {
      StageTrace trace = StageTrace.start("gateway.grpc");
      Future<Void> cancelled = cancellationOf(call);
      whenReceived(call, ended, request -> {
        trace.mark("received");
        Future<R> result;
        try {
          result = method.apply(caller, request, cancelled);
        } catch (RuntimeException e) {
          result = Future.failedFuture(e);
        }
        result.onComplete(value -> {
          trace.mark("result");
          ReplyFlushes.end(call.connection(), () -> call.response().end(value));
          trace.end("replied");
          ended.accept("OK");
        }, failure -> ended.accept(fail(call.response(), failure)));
      });
    });
  }

  /** A unary method that needs neither the caller nor cancellation. */
  public <Q, R> Handler<GrpcServerRequest<Q, R>> unary(BiFunction<String, Q, Future<R>> method) {
    return unary((UnaryMethod<Q, R>) (caller, request, cancelled) -> method.apply(caller, request));
  }

  /**
   * Acts on a request once the client has finished sending it: answering earlier (a quick validation
   * error) would make HTTP/2 reset a stream the client is still writing, and the client would see
   * "stream closed" instead of the status.
   */
  public static <Q> void whenReceived(GrpcServerRequest<Q, ?> call, Consumer<String> ended, Consumer<Q> action) {
    Object[] received = new Object[1];
    call.handler(request -> received[0] = request);
    call.endHandler(end -> {
      @SuppressWarnings("unchecked")
      Q request = (Q) received[0];
      if (request == null) {
        ended.accept(fail(call.response(), PhantomException.invalidArgument("no request message was sent")));
      } else {
        action.accept(request);
      }
    });
  }

  /**
   * Completes when the client cancels the call (vertx-grpc reports a reset stream as a gRPC error, not
   * an exception), the connection fails, or the call's deadline passes.
   */
  public static Future<Void> cancellationOf(GrpcServerRequest<?, ?> call) {
    Promise<Void> cancelled = Promise.promise();
    call.errorHandler(error -> cancelled.tryComplete());
    call.exceptionHandler(failure -> cancelled.tryComplete());
    call.response().exceptionHandler(failure -> cancelled.tryComplete());
    Timer deadline = call.deadline();
    if (deadline != null) {
      deadline.onSuccess(fired -> cancelled.tryComplete());
    }
    return cancelled.future();
  }

  /**
   * Every domain failure leaves with its status; anything else is a bug, logged here, INTERNAL outside.
   *
   * @return the status name sent
   */
  public static String fail(GrpcServerResponse<?, ?> response, Throwable failure) {
    if (failure instanceof PhantomException phantom) {
      if (phantom.retryAfterMs() > 0) {
        response.trailers().set("retry-after-ms", Long.toString(phantom.retryAfterMs()));
      }
      response.fail(new StatusException(phantom.status(), phantom.getMessage()));
      return phantom.status().name();
    }
    LOG.log(Level.SEVERE, "call failed unexpectedly", failure);
    response.fail(new StatusException(GrpcStatus.INTERNAL, "internal error: " + failure));
    return GrpcStatus.INTERNAL.name();
  }
}
