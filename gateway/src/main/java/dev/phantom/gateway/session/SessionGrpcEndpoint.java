package dev.phantom.gateway.session;

import com.google.protobuf.ByteString;
import dev.phantom.api.v1.ArchiveChunk;
import dev.phantom.api.v1.DestroySandboxResponse;
import dev.phantom.api.v1.DownloadArchiveRequest;
import dev.phantom.api.v1.ExecInput;
import dev.phantom.api.v1.ExecOutput;
import dev.phantom.api.v1.ExecStart;
import dev.phantom.api.v1.FileChunk;
import dev.phantom.api.v1.MakeDirectoriesResponse;
import dev.phantom.api.v1.ReadFileRequest;
import dev.phantom.api.v1.RemoveFilesResponse;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.SandboxApiGrpcService;
import dev.phantom.api.v1.UploadArchiveResponse;
import dev.phantom.api.v1.WriteFilesResponse;
import dev.phantom.gateway.grpc.GrpcCalls;
import dev.phantom.proto.zygote.v1.ExecRequest;
import dev.phantom.proto.zygote.v1.SessionCall;
import dev.phantom.proto.zygote.v1.SessionReply;
import dev.phantom.support.PhantomException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The session methods of {@code phantom.v1.SandboxApi} over gRPC. Like the run endpoint it binds the
 * methods itself, to admit the caller first (whose name becomes the session's owner), to answer unary
 * calls only once the request has fully arrived, and to see cancellation: a client that goes away kills
 * its exec's process group.
 */
public final class SessionGrpcEndpoint {


  private final Vertx vertx;
  private final SessionCoordinator sessions;
  private final GrpcCalls calls;

  public SessionGrpcEndpoint(Vertx vertx, SessionCoordinator sessions, GrpcCalls calls) {
    this.vertx = vertx;
    this.sessions = sessions;
    this.calls = calls;
  }

  public void bind(GrpcServer server) {
    server.callHandler(SandboxApiGrpcService.CreateSandbox, calls.unary((owner, r) -> sessions.create(owner, r)));
    server.callHandler(SandboxApiGrpcService.GetSandbox, calls.unary((owner, r) -> call(r.getSandboxId(),
        SessionCall.newBuilder().setOwner(owner).setGet(r)).map(SessionReply::getSandbox)));
    server.callHandler(SandboxApiGrpcService.KeepAlive, calls.unary((owner, r) -> call(r.getSandboxId(),
        SessionCall.newBuilder().setOwner(owner).setKeepAlive(r)).map(SessionReply::getSandbox)));
    server.callHandler(SandboxApiGrpcService.ListSandboxes, calls.unary((owner, r) -> sessions.list(owner, r.getLabelsMap())));
    server.callHandler(SandboxApiGrpcService.DestroySandbox, calls.unary((owner, r) -> call(r.getSandboxId(),
        SessionCall.newBuilder().setOwner(owner).setDestroy(r)).map(DestroySandboxResponse.getDefaultInstance())));
    server.callHandler(SandboxApiGrpcService.WriteFiles, calls.unary((owner, r) -> call(r.getSandboxId(),
        SessionCall.newBuilder().setOwner(owner).setWriteFiles(r)).map(WriteFilesResponse.getDefaultInstance())));
    server.callHandler(SandboxApiGrpcService.ListFiles, calls.unary((owner, r) -> call(r.getSandboxId(),
        SessionCall.newBuilder().setOwner(owner).setListFiles(r)).map(SessionReply::getFiles)));
    server.callHandler(SandboxApiGrpcService.RemoveFiles, calls.unary((owner, r) -> call(r.getSandboxId(),
        SessionCall.newBuilder().setOwner(owner).setRemoveFiles(r)).map(RemoveFilesResponse.getDefaultInstance())));
    server.callHandler(SandboxApiGrpcService.MakeDirectories, calls.unary((owner, r) -> call(r.getSandboxId(),
        SessionCall.newBuilder().setOwner(owner).setMakeDirectories(r)).map(MakeDirectoriesResponse.getDefaultInstance())));
    server.callHandler(SandboxApiGrpcService.SnapshotSandbox, calls.unary((owner, r) -> sessions.snapshot(owner,
        r.getSandboxId())));
    server.callHandler(SandboxApiGrpcService.DeleteSnapshot, calls.unary((owner, r) -> sessions.deleteSnapshot(owner,
        r.getSnapshotId()).map(dev.phantom.api.v1.DeleteSnapshotResponse.getDefaultInstance())));
    server.callHandler(SandboxApiGrpcService.Exec, calls.admitted(this::exec));
    server.callHandler(SandboxApiGrpcService.ReadFile, calls.admitted(this::readFile));
    server.callHandler(SandboxApiGrpcService.DownloadArchive, calls.admitted(this::downloadArchive));
    server.callHandler(SandboxApiGrpcService.UploadArchive, calls.admitted(this::uploadArchive));
  }

  private Future<SessionReply> call(String sandboxId, SessionCall.Builder call) {
    return sessions.call(sandboxId, call.build());
  }

  /** How long a failed Exec waits for the client's half-close before answering anyway. */
  private static final long FAIL_AFTER_END_MS = 1_000;

  private void exec(GrpcServerRequest<ExecInput, ExecOutput> call, String owner, Consumer<String> ended) {
    long startNanos = System.nanoTime();
    GrpcServerResponse<ExecInput, ExecOutput> response = call.response();
    SessionCoordinator.ExecCall[] exec = new SessionCoordinator.ExecCall[1];
    boolean[] over = new boolean[1];
    boolean[] requestEnded = new boolean[1];
    boolean[] stdinClosed = new boolean[1];
    Throwable[] pendingFailure = new Throwable[1];
    // Failing while the client still sends would reset its stream and hide the status: wait for its
    // half-close, or its close_stdin (after which it sends at most a signal: 'phantom exec' keeps the
    // request open to forward Ctrl-C), briefly: a client waiting for output first must still hear it.
    Consumer<Throwable> failOnce = failure -> {
      if (over[0]) {
        return;
      }
      over[0] = true;
      if (requestEnded[0] || stdinClosed[0]) {
        ended.accept(GrpcCalls.fail(response, failure));
      } else {
        pendingFailure[0] = failure;
        vertx.setTimer(FAIL_AFTER_END_MS, t -> {
          if (pendingFailure[0] != null) {
            Throwable f = pendingFailure[0];
            pendingFailure[0] = null;
            ended.accept(GrpcCalls.fail(response, f));
          }
        });
      }
    };
    Runnable cancel = () -> {
      over[0] = true;
      pendingFailure[0] = null;
      if (exec[0] != null) {
        exec[0].cancel();
      }
    };
    GrpcCalls.cancellationOf(call).onSuccess(cancelled -> cancel.run());
    call.handler(input -> {
      if (input.hasCloseStdin()) {
        stdinClosed[0] = true;
        if (pendingFailure[0] != null) {
          Throwable f = pendingFailure[0];
          pendingFailure[0] = null;
          ended.accept(GrpcCalls.fail(response, f));
          return;
        }
      }
      if (over[0]) {
        return;
      }
      if (exec[0] == null) {
        if (!input.hasStart()) {
          failOnce.accept(PhantomException.invalidArgument("the first message of Exec must be 'start'"));
          return;
        }
        ExecStart start = input.getStart();
        long timeoutMs = start.hasTimeout() ? start.getTimeout().getSeconds() * 1000 + start.getTimeout().getNanos() / 1_000_000 : 0;
        exec[0] = sessions.exec(owner, start.getSandboxId(), ExecRequest.newBuilder().setCommand(start), timeoutMs,
            chunk -> {
              if (!over[0]) {
                response.write(ExecOutput.newBuilder().setChunk(chunk).build());
              }
            });
        exec[0].done().onComplete(done -> {
          if (over[0]) {
            return;
          }
          over[0] = true;
          RunResult result = done.getResult();
          result = result.toBuilder().setTimings(result.getTimings().toBuilder()
              .setTotalMicros((System.nanoTime() - startNanos) / 1000)).build();
          response.end(ExecOutput.newBuilder().setExit(result).build());
          ended.accept("OK");
        }, failOnce::accept);
        return;
      }
      switch (input.getInputCase()) {
        case STDIN -> exec[0].stdin(input.getStdin());
        case CLOSE_STDIN -> exec[0].closeStdin();
        case SIGNAL -> exec[0].signal(input.getSignal());
        case START -> {
          exec[0].cancel();
          failOnce.accept(PhantomException.invalidArgument("Exec takes one 'start' message, first"));
        }
        case INPUT_NOT_SET -> { }
      }
    });
    // The client's half-close ends the command's standard input.
    call.endHandler(end -> {
      requestEnded[0] = true;
      if (pendingFailure[0] != null) {
        Throwable f = pendingFailure[0];
        pendingFailure[0] = null;
        ended.accept(GrpcCalls.fail(response, f));
      } else if (exec[0] != null) {
        exec[0].closeStdin();
      } else if (!over[0]) {
        failOnce.accept(PhantomException.invalidArgument("the first message of Exec must be 'start'"));
      }
    });
  }

  private void readFile(GrpcServerRequest<ReadFileRequest, FileChunk> call, String owner, Consumer<String> ended) {
    long[] offset = new long[1];
    streamOut(call, ended, request -> request.getSandboxId(),
        request -> ExecRequest.newBuilder().setReadFile(request.getPath()),
        data -> {
          FileChunk chunk = FileChunk.newBuilder().setData(data).setOffset(offset[0]).build();
          offset[0] += data.size();
          return chunk;
        }, owner);
  }

  private void downloadArchive(GrpcServerRequest<DownloadArchiveRequest, ArchiveChunk> call, String owner,
      Consumer<String> ended) {
    streamOut(call, ended, DownloadArchiveRequest::getSandboxId,
        request -> ExecRequest.newBuilder().setDownloadArchive(request.getPath()),
        data -> ArchiveChunk.newBuilder().setData(data).build(), owner);
  }

  /** A server-streaming file call: one request, then the exec's standard output as chunks. */
  private <Q, R> void streamOut(GrpcServerRequest<Q, R> call, Consumer<String> ended, Function<Q, String> sandboxId,
      Function<Q, ExecRequest.Builder> op, Function<ByteString, R> chunk, String owner) {
    GrpcServerResponse<Q, R> response = call.response();
    boolean[] over = new boolean[1];
    GrpcCalls.whenReceived(call, ended, request -> {
      SessionCoordinator.ExecCall exec = sessions.exec(owner, sandboxId.apply(request), op.apply(request), 0,
          output -> {
            if (!over[0]) {
              response.write(chunk.apply(output.getData()));
            }
          });
      BiConsumer<Void, Throwable> cancel = (v, e) -> {
        over[0] = true;
        exec.cancel();
      };
      GrpcCalls.cancellationOf(call).onSuccess(cancelled -> cancel.accept(null, null));
      exec.done().onComplete(done -> {
        if (!over[0]) {
          over[0] = true;
          response.end();
          ended.accept("OK");
        }
      }, failure -> {
        if (!over[0]) {
          over[0] = true;
          ended.accept(GrpcCalls.fail(response, failure));
        }
      });
    });
  }

  private void uploadArchive(GrpcServerRequest<ArchiveChunk, UploadArchiveResponse> call, String owner,
      Consumer<String> ended) {
    GrpcServerResponse<ArchiveChunk, UploadArchiveResponse> response = call.response();
    SessionCoordinator.ExecCall[] exec = new SessionCoordinator.ExecCall[1];
    PhantomException[] refused = new PhantomException[1];
    GrpcCalls.cancellationOf(call).onSuccess(cancelled -> {
      if (exec[0] != null) {
        exec[0].cancel();
      }
    });
    call.handler(chunk -> {
      if (refused[0] != null) {
        return;
      }
      if (exec[0] == null) {
        if (!chunk.hasStart()) {
          refused[0] = PhantomException.invalidArgument("the first message of UploadArchive must be 'start'");
          return;
        }
        exec[0] = sessions.exec(owner, chunk.getStart().getSandboxId(),
            ExecRequest.newBuilder().setUploadArchive(chunk.getStart().getPath()), 0, output -> { });
        exec[0].done().onFailure(failure -> refused[0] = refused[0] == null ? asPhantom(failure) : refused[0]);
      } else if (chunk.hasData()) {
        exec[0].stdin(chunk.getData());
      }
    });
    // Answer once the whole archive arrived, so the client sees the status rather than a reset stream.
    call.endHandler(end -> {
      if (exec[0] == null) {
        ended.accept(GrpcCalls.fail(response, refused[0] != null ? refused[0]
            : PhantomException.invalidArgument("no 'start' message was sent")));
        return;
      }
      exec[0].closeStdin();
      exec[0].done().onComplete(done -> {
        response.end(UploadArchiveResponse.newBuilder().setFiles(done.getFiles()).setBytes(done.getBytes()).build());
        ended.accept("OK");
      }, failure -> ended.accept(GrpcCalls.fail(response, failure)));
    });
  }

  private static PhantomException asPhantom(Throwable failure) {
    return failure instanceof PhantomException p ? p : PhantomException.internal(String.valueOf(failure));
  }
}
