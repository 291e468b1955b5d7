package dev.phantom.gateway.mcp;

import dev.phantom.api.v1.ListProfilesResponse;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunEvent;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.gateway.SandboxOperations;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

/** Canned answers, and the requests that reached it; an answer may be a pending promise. */
final class FakeSandboxOperations implements SandboxOperations {

  final List<RunRequest> runs = new CopyOnWriteArrayList<>();
  final List<RunCodeRequest> codeRuns = new CopyOnWriteArrayList<>();
  volatile Function<RunRequest, Future<RunResult>> onRun = request -> Future.succeededFuture(RunResult.getDefaultInstance());
  volatile Function<RunCodeRequest, Future<RunResult>> onRunCode =
      request -> Future.succeededFuture(RunResult.getDefaultInstance());
  volatile Future<ListProfilesResponse> profiles = Future.succeededFuture(ListProfilesResponse.getDefaultInstance());

  @Override
  public Future<RunResult> run(RunRequest request) {
    runs.add(request);
    return onRun.apply(request);
  }

  @Override
  public Future<RunResult> runStream(RunRequest request, Consumer<RunEvent> onEvent) {
    return Future.failedFuture(new UnsupportedOperationException("MCP does not stream"));
  }

  @Override
  public Future<RunResult> runCode(RunCodeRequest request) {
    codeRuns.add(request);
    return onRunCode.apply(request);
  }

  @Override
  public Future<ListProfilesResponse> listProfiles() {
    return profiles;
  }

  /** Every run answers with {@code result}. */
  FakeSandboxOperations answering(RunResult result) {
    onRun = request -> Future.succeededFuture(result);
    onRunCode = request -> Future.succeededFuture(result);
    return this;
  }

  /** Every run fails with {@code failure}, as the coordinator or the gRPC client would. */
  FakeSandboxOperations failing(Throwable failure) {
    onRun = request -> Future.failedFuture(failure);
    onRunCode = request -> Future.failedFuture(failure);
    return this;
  }

  /** Runs wait on the promise given back. */
  Promise<RunResult> pending() {
    Promise<RunResult> promise = Promise.promise();
    onRun = request -> promise.future();
    return promise;
  }
}
