package dev.phantom.gateway.grpc;

import dev.phantom.api.v1.ListProfilesRequest;
import dev.phantom.api.v1.ListProfilesResponse;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunEvent;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.SandboxApiGrpcService;
import dev.phantom.gateway.ApiMetrics;
import dev.phantom.gateway.RunCoordinator;
import dev.phantom.gateway.access.AccessControl;
import dev.phantom.support.PhantomException;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.StatusException;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code phantom.v1.SandboxApi} over gRPC. Binds the methods itself rather than extending the
 * generated service, to see cancellation and deadlines: a call the client gives up on kills its sandbox.
 */
public final class SandboxApiGrpcEndpoint {

  private static final Logger LOG = Logger.getLogger(SandboxApiGrpcEndpoint.class.getName());

  private final RunCoordinator coordinator;
  private final AccessControl access;
  private final ApiMetrics metrics;

  public SandboxApiGrpcEndpoint(RunCoordinator coordinator, AccessControl access, ApiMetrics metrics) {
    this.coordinator = coordinator;
    this.access = access;
    this.metrics = metrics;
  }

  public void bind(GrpcServer server) {
    server.callHandler(SandboxApiGrpcService.Run, admitted(this::run));
    server.callHandler(SandboxApiGrpcService.RunStream, admitted(this::runStream));
    server.callHandler(SandboxApiGrpcService.RunCode, admitted(this::runCode));
    server.callHandler(SandboxApiGrpcService.ListProfiles, admitted(this::listProfiles));
  }

  /** A call handler told how to report the call's end: the gRPC status name it ended with. */
  private interface TimedHandler<Q, R> {
    void handle(GrpcServerRequest<Q, R> call, Consumer<String> ended);
  }

  /**
   * Checks the caller's key and rate before the call is handled, and times every call. A refused
   * call is answered without the request being looked at.
   */
  private <Q, R> Handler<GrpcServerRequest<Q, R>> admitted(TimedHandler<Q, R> handler) {
    return call -> {
      long start = System.nanoTime();
      String method = call.methodName();
      boolean[] recorded = new boolean[1];
      Consumer<String> ended = status -> {
        if (!recorded[0]) {
          recorded[0] = true;
          metrics.record("grpc", method, status, start);
        }
      };
      call.response().exceptionHandler(failure -> ended.accept("CANCELLED"));
      try {
        access.admit(call.headers(), call.connection().remoteAddress().hostAddress(), "grpc");
      } catch (PhantomException refused) {
        // Answer once the request is in, as for any unary error (see whenReceived).
        call.handler(ignored -> { });
        call.endHandler(end -> ended.accept(fail(call.response(), refused)));
        return;
      }
      handler.handle(call, ended);
    };
  }

  private void run(GrpcServerRequest<RunRequest, RunResult> call, Consumer<String> ended) {
    Promise<Void> cancelled = cancellationOf(call);
    whenReceived(call, ended, request -> reply(call, coordinator.run(request, cancelled.future()), ended));
  }

  private void runCode(GrpcServerRequest<RunCodeRequest, RunResult> call, Consumer<String> ended) {
    Promise<Void> cancelled = cancellationOf(call);
    whenReceived(call, ended, request -> reply(call, coordinator.runCode(request, cancelled.future()), ended));
  }

  private void listProfiles(GrpcServerRequest<ListProfilesRequest, ListProfilesResponse> call,
      Consumer<String> ended) {
    whenReceived(call, ended, request -> reply(call, coordinator.listProfiles(), ended));
  }

  private static <R> void reply(GrpcServerRequest<?, R> call, Future<R> result, Consumer<String> ended) {
    result.onComplete(
        value -> {
          call.response().end(value);
          ended.accept("OK");
        },
        failure -> ended.accept(fail(call.response(), failure)));
  }

  private void runStream(GrpcServerRequest<RunRequest, RunEvent> call, Consumer<String> ended) {
    Promise<Void> cancelled = cancellationOf(call);
    GrpcServerResponse<RunRequest, RunEvent> response = call.response();
    whenReceived(call, ended, request -> coordinator.runStream(request, event -> {
          if (!cancelled.future().isComplete()) {
            response.write(event);
          }
        }, cancelled.future())
        .onComplete(done -> {
          if (!cancelled.future().isComplete()) {
            response.end();
          }
          ended.accept("OK");
        }, failure -> ended.accept(fail(response, failure))));
  }

  /**
   * Acts on a unary request once the client has finished sending it: answering earlier (a quick
   * validation error) would make HTTP/2 reset a stream the client is still writing, and the client
   * would see "stream closed" instead of the status.
   */
  private static <Q> void whenReceived(GrpcServerRequest<Q, ?> call, Consumer<String> ended, Consumer<Q> action) {
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

  /** Completes when the client resets the call or its deadline passes. */
  private static Promise<Void> cancellationOf(GrpcServerRequest<?, ?> call) {
    Promise<Void> cancelled = Promise.promise();
    call.exceptionHandler(failure -> cancelled.tryComplete());
    call.response().exceptionHandler(failure -> cancelled.tryComplete());
    return cancelled;
  }

  /**
   * Every domain failure leaves with its status; anything else is a bug, logged here, INTERNAL outside.
   *
   * @return the status name sent
   */
  static String fail(GrpcServerResponse<?, ?> response, Throwable failure) {
    if (failure instanceof PhantomException phantom) {
      if (phantom.retryAfterMs() > 0) {
        response.trailers().set("retry-after-ms", Long.toString(phantom.retryAfterMs()));
      }
      response.fail(new StatusException(phantom.status(), phantom.getMessage()));
      return phantom.status().name();
    }
    LOG.log(Level.SEVERE, "run failed unexpectedly", failure);
    response.fail(new StatusException(GrpcStatus.INTERNAL, "internal error: " + failure));
    return GrpcStatus.INTERNAL.name();
  }
}
