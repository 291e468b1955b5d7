package dev.phantom.gateway;

import com.google.protobuf.ByteString;
import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.DestroySandboxRequest;
import dev.phantom.api.v1.ExecStart;
import dev.phantom.api.v1.ListFilesRequest;
import dev.phantom.api.v1.ListFilesResponse;
import dev.phantom.api.v1.ListProfilesResponse;
import dev.phantom.api.v1.ReadFileRequest;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunEvent;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.api.v1.WriteFilesRequest;
import dev.phantom.gateway.session.SessionCoordinator;
import dev.phantom.proto.zygote.v1.ExecRequest;
import dev.phantom.proto.zygote.v1.SessionCall;
import dev.phantom.proto.zygote.v1.SessionReply;
import dev.phantom.support.PhantomException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * {@link SandboxOperations} through this gateway's own coordinators, for front doors in the same
 * verticle (REST, MCP over HTTP). Must be called on the gateway verticle's event loop.
 *
 * <p>Sessions are created and used on behalf of {@link #owner()}: a sandbox created for one owner is
 * NOT_FOUND to another, as over gRPC.
 */
public final class CoordinatorOperations implements SandboxOperations {

  /** The owner of sessions when no caller was named (an unkeyed local gateway). */
  public static final String DEFAULT_OWNER = "mcp";

  private final RunCoordinator coordinator;
  private final SessionCoordinator sessions;
  private final String owner;
  private final Future<Void> cancelled;

  /**
   * @param owner the caller the sessions belong to
   * @param cancelled completing it kills what these operations started (e.g. the caller went away)
   */
  public CoordinatorOperations(RunCoordinator coordinator, SessionCoordinator sessions, String owner,
      Future<Void> cancelled) {
    this.coordinator = coordinator;
    this.sessions = sessions;
    this.owner = Objects.requireNonNull(owner, "owner");
    this.cancelled = cancelled;
  }

  /** Operations that are never cancelled from outside; runs still end at their timeouts. */
  public static CoordinatorOperations uncancellable(RunCoordinator coordinator, SessionCoordinator sessions,
      String owner) {
    return new CoordinatorOperations(coordinator, sessions, owner, Promise.<Void>promise().future());
  }

  public String owner() {
    return owner;
  }

  @Override
  public CoordinatorOperations forOwner(String owner) {
    return owner == null || owner.equals(this.owner) ? this
        : new CoordinatorOperations(coordinator, sessions, owner, cancelled);
  }

  @Override
  public Future<RunResult> run(RunRequest request) {
    return coordinator.run(request, cancelled);
  }

  @Override
  public Future<RunResult> runStream(RunRequest request, Consumer<RunEvent> onEvent) {
    RunResult[] exit = new RunResult[1];
    return coordinator.runStream(request, event -> {
      if (event.hasExit()) {
        exit[0] = event.getExit();
      }
      onEvent.accept(event);
    }, cancelled).map(done -> exit[0]);
  }

  @Override
  public Future<RunResult> runCode(RunCodeRequest request) {
    return coordinator.runCode(request, cancelled);
  }

  @Override
  public Future<ListProfilesResponse> listProfiles() {
    return coordinator.listProfiles();
  }

  @Override
  public Future<Sandbox> createSandbox(CreateSandboxRequest request) {
    return sessions.create(owner, request);
  }

  @Override
  public Future<Void> destroySandbox(String sandboxId) {
    return call(sandboxId, SessionCall.newBuilder()
        .setDestroy(DestroySandboxRequest.newBuilder().setSandboxId(sandboxId))).mapEmpty();
  }

  @Override
  public Future<dev.phantom.api.v1.Snapshot> snapshotSandbox(String sandboxId) {
    return sessions.snapshot(owner, sandboxId);
  }

  @Override
  public Future<RunResult> exec(ExecStart start) {
    if (start.getArgvCount() == 0) {
      return Future.failedFuture(PhantomException.invalidArgument("argv must not be empty"));
    }
    long timeoutMs = start.hasTimeout()
        ? start.getTimeout().getSeconds() * 1000 + start.getTimeout().getNanos() / 1_000_000 : 0;
    ExecOutputCollector output = new ExecOutputCollector();
    SessionCoordinator.ExecCall exec = sessions.exec(owner, start.getSandboxId(),
        ExecRequest.newBuilder().setCommand(start), timeoutMs, output);
    // No standard input: a command reading it sees its end at once.
    exec.closeStdin();
    cancelled.onComplete(v -> exec.cancel());
    return exec.done().map(done -> output.complete(done.getResult()));
  }

  @Override
  public Future<Void> writeFiles(WriteFilesRequest request) {
    return call(request.getSandboxId(), SessionCall.newBuilder().setWriteFiles(request)).mapEmpty();
  }

  @Override
  public Future<ByteString> readFile(ReadFileRequest request) {
    ByteString.Output content = ByteString.newOutput();
    SessionCoordinator.ExecCall exec = sessions.exec(owner, request.getSandboxId(),
        ExecRequest.newBuilder().setReadFile(request.getPath()), 0, chunk -> {
          byte[] data = chunk.getData().toByteArray();
          content.write(data, 0, data.length);
        });
    cancelled.onComplete(v -> exec.cancel());
    return exec.done().map(done -> content.toByteString());
  }

  @Override
  public Future<ListFilesResponse> listFiles(ListFilesRequest request) {
    return call(request.getSandboxId(), SessionCall.newBuilder().setListFiles(request)).map(SessionReply::getFiles);
  }

  private Future<SessionReply> call(String sandboxId, SessionCall.Builder call) {
    return sessions.call(sandboxId, call.setOwner(owner).build());
  }
}
