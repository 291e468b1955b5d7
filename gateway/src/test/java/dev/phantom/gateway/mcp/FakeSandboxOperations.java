package dev.phantom.gateway.mcp;

import com.google.protobuf.ByteString;
import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.ExecStart;
import dev.phantom.api.v1.ListFilesRequest;
import dev.phantom.api.v1.ListFilesResponse;
import dev.phantom.api.v1.ListProfilesResponse;
import dev.phantom.api.v1.ReadFileRequest;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.api.v1.WriteFilesRequest;
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
  final List<CreateSandboxRequest> creates = new CopyOnWriteArrayList<>();
  final List<String> destroys = new CopyOnWriteArrayList<>();
  final List<ExecStart> execs = new CopyOnWriteArrayList<>();
  final List<WriteFilesRequest> writes = new CopyOnWriteArrayList<>();
  final List<ReadFileRequest> reads = new CopyOnWriteArrayList<>();
  final List<ListFilesRequest> lists = new CopyOnWriteArrayList<>();
  volatile Function<CreateSandboxRequest, Future<Sandbox>> onCreate =
      request -> Future.succeededFuture(Sandbox.newBuilder().setId("node-1.abcdefghijklmnopqrstuvwxyz")
          .setProfile(request.getProfile()).build());
  volatile Function<String, Future<Void>> onDestroy = id -> Future.succeededFuture();
  volatile Function<String, Future<dev.phantom.api.v1.Snapshot>> onSnapshot =
      id -> Future.failedFuture(dev.phantom.support.PhantomException.notFound("no sandbox " + id));
  volatile Function<ExecStart, Future<RunResult>> onExec = start -> Future.succeededFuture(RunResult.getDefaultInstance());
  volatile Function<WriteFilesRequest, Future<Void>> onWrite = request -> Future.succeededFuture();
  volatile Function<ReadFileRequest, Future<ByteString>> onRead = request -> Future.succeededFuture(ByteString.EMPTY);
  volatile Function<ListFilesRequest, Future<ListFilesResponse>> onList =
      request -> Future.succeededFuture(ListFilesResponse.getDefaultInstance());
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

  /** The owners transports asked for ({@link #forOwner}); the fake stays the same object. */
  final List<String> owners = new CopyOnWriteArrayList<>();

  @Override
  public SandboxOperations forOwner(String owner) {
    owners.add(owner);
    return this;
  }

  @Override
  public Future<Sandbox> createSandbox(CreateSandboxRequest request) {
    creates.add(request);
    return onCreate.apply(request);
  }

  @Override
  public Future<Void> destroySandbox(String sandboxId) {
    destroys.add(sandboxId);
    return onDestroy.apply(sandboxId);
  }

  @Override
  public Future<dev.phantom.api.v1.Snapshot> snapshotSandbox(String sandboxId) {
    return onSnapshot.apply(sandboxId);
  }

  @Override
  public Future<RunResult> exec(ExecStart start) {
    execs.add(start);
    return onExec.apply(start);
  }

  @Override
  public Future<Void> writeFiles(WriteFilesRequest request) {
    writes.add(request);
    return onWrite.apply(request);
  }

  @Override
  public Future<ByteString> readFile(ReadFileRequest request) {
    reads.add(request);
    return onRead.apply(request);
  }

  @Override
  public Future<ListFilesResponse> listFiles(ListFilesRequest request) {
    lists.add(request);
    return onList.apply(request);
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
