package dev.phantom.gateway.grpc;

import dev.phantom.api.v1.ListProfilesRequest;
import dev.phantom.api.v1.ListProfilesResponse;
import dev.phantom.api.v1.RunEvent;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.SandboxApiGrpcService;
import dev.phantom.gateway.RunCoordinator;
import dev.phantom.gateway.access.AccessControl;
import io.vertx.core.Future;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one-shot methods of {@code phantom.v1.SandboxApi} over gRPC (the session methods are in
 * {@code session.SessionGrpcEndpoint}). A call the client gives up on kills its sandbox; every run
 * holds one of its key's sandbox slots while it lasts.
 */
public final class SandboxApiGrpcEndpoint {

  private final RunCoordinator coordinator;
  private final AccessControl access;
  private final GrpcCalls calls;

  public SandboxApiGrpcEndpoint(RunCoordinator coordinator, AccessControl access, GrpcCalls calls) {
    this.coordinator = coordinator;
    this.access = access;
    this.calls = calls;
  }

  public void bind(GrpcServer server) {
    server.callHandler(SandboxApiGrpcService.Run, calls.unary(
        (String caller, RunRequest request, Future<Void> cancelled) ->
            holdingASlot(caller, () -> coordinator.run(request, cancelled))));
    server.callHandler(SandboxApiGrpcService.RunCode, calls.unary(
        (String caller, dev.phantom.api.v1.RunCodeRequest request, Future<Void> cancelled) ->
            holdingASlot(caller, () -> coordinator.runCode(request, cancelled))));
    server.callHandler(SandboxApiGrpcService.ListProfiles,
        calls.<ListProfilesRequest, ListProfilesResponse>unary((caller, request) -> coordinator.listProfiles()));
    server.callHandler(SandboxApiGrpcService.RunStream, calls.admitted(this::runStream));
  }

  /** Runs {@code work} in one of the caller's sandbox slots (RESOURCE_EXHAUSTED when its key has none left). */
  private <T> Future<T> holdingASlot(String caller, Supplier<Future<T>> work) {
    access.acquireSandbox(caller);
    return work.get().andThen(done -> access.releaseSandbox(caller));
  }

  private void runStream(GrpcServerRequest<RunRequest, RunEvent> call, String caller, Consumer<String> ended) {
    Future<Void> cancelled = GrpcCalls.cancellationOf(call);
    GrpcServerResponse<RunRequest, RunEvent> response = call.response();
    GrpcCalls.whenReceived(call, ended, request -> holdingASlot(caller, () -> coordinator.runStream(request, event -> {
          if (!cancelled.isComplete()) {
            response.write(event);
          }
        }, cancelled))
        .onComplete(done -> {
          if (!cancelled.isComplete()) {
            response.end();
          }
          ended.accept("OK");
        }, failure -> ended.accept(GrpcCalls.fail(response, failure))));
  }
}
