package dev.phantom.gateway.grpc;

import dev.phantom.api.v1.ListProfilesRequest;
import dev.phantom.api.v1.ListProfilesResponse;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunEvent;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.SandboxApiGrpcService;
import dev.phantom.gateway.RunCoordinator;
import dev.phantom.support.PhantomException;
import io.vertx.core.Promise;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.StatusException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code phantom.v1.SandboxApi} over gRPC. Binds the methods itself rather than extending the
 * generated service, to see cancellation and deadlines: a call the client gives up on kills its sandbox.
 */
public final class SandboxApiGrpcEndpoint {

  private static final Logger LOG = Logger.getLogger(SandboxApiGrpcEndpoint.class.getName());

  private final RunCoordinator coordinator;

  public SandboxApiGrpcEndpoint(RunCoordinator coordinator) {
    this.coordinator = coordinator;
  }

  public void bind(GrpcServer server) {
    server.callHandler(SandboxApiGrpcService.Run, this::run);
    server.callHandler(SandboxApiGrpcService.RunStream, this::runStream);
    server.callHandler(SandboxApiGrpcService.RunCode, this::runCode);
    server.callHandler(SandboxApiGrpcService.ListProfiles, this::listProfiles);
  }

  private void runCode(GrpcServerRequest<RunCodeRequest, RunResult> call) {
    Promise<Void> cancelled = cancellationOf(call);
    whenReceived(call, request -> coordinator.runCode(request, cancelled.future()).onComplete(
        result -> call.response().end(result),
        failure -> fail(call.response(), failure)));
  }

  private void listProfiles(GrpcServerRequest<ListProfilesRequest, ListProfilesResponse> call) {
    whenReceived(call, request -> coordinator.listProfiles().onComplete(
        profiles -> call.response().end(profiles),
        failure -> fail(call.response(), failure)));
  }

  private void run(GrpcServerRequest<RunRequest, RunResult> call) {
    Promise<Void> cancelled = cancellationOf(call);
    whenReceived(call, request -> coordinator.run(request, cancelled.future()).onComplete(
        result -> call.response().end(result),
        failure -> fail(call.response(), failure)));
  }

  private void runStream(GrpcServerRequest<RunRequest, RunEvent> call) {
    Promise<Void> cancelled = cancellationOf(call);
    GrpcServerResponse<RunRequest, RunEvent> response = call.response();
    whenReceived(call, request -> coordinator.runStream(request, event -> {
          if (!cancelled.future().isComplete()) {
            response.write(event);
          }
        }, cancelled.future())
        .onComplete(done -> {
          if (!cancelled.future().isComplete()) {
            response.end();
          }
        }, failure -> fail(response, failure)));
  }

  /**
   * Acts on a unary request once the client has finished sending it: answering earlier (a quick
   * validation error) would make HTTP/2 reset a stream the client is still writing, and the client
   * would see "stream closed" instead of the status.
   */
  private static <Q> void whenReceived(GrpcServerRequest<Q, ?> call, java.util.function.Consumer<Q> action) {
    Object[] received = new Object[1];
    call.handler(request -> received[0] = request);
    call.endHandler(end -> {
      @SuppressWarnings("unchecked")
      Q request = (Q) received[0];
      if (request == null) {
        fail(call.response(), dev.phantom.support.PhantomException.invalidArgument("no request message was sent"));
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

  /** Every domain failure leaves with its status; anything else is a bug, logged here, INTERNAL outside. */
  static void fail(GrpcServerResponse<?, ?> response, Throwable failure) {
    if (failure instanceof PhantomException phantom) {
      response.fail(new StatusException(phantom.status(), phantom.getMessage()));
      return;
    }
    LOG.log(Level.SEVERE, "run failed unexpectedly", failure);
    response.fail(new StatusException(GrpcStatus.INTERNAL, "internal error: " + failure));
  }
}
