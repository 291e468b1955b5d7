package dev.phantom.gateway.client;

import com.google.protobuf.ByteString;
import dev.phantom.api.v1.ArchiveChunk;
import dev.phantom.api.v1.ArchiveStart;
import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.DownloadArchiveRequest;
import dev.phantom.api.v1.FileChunk;
import dev.phantom.api.v1.UploadArchiveResponse;
import dev.phantom.api.v1.DestroySandboxRequest;
import dev.phantom.api.v1.ExecInput;
import dev.phantom.api.v1.ExecStart;
import dev.phantom.api.v1.ListFilesRequest;
import dev.phantom.api.v1.ListFilesResponse;
import dev.phantom.api.v1.ListSandboxesRequest;
import dev.phantom.api.v1.ListSandboxesResponse;
import dev.phantom.api.v1.OutputChunk;
import dev.phantom.api.v1.RemoveFilesRequest;
import dev.phantom.api.v1.ListProfilesRequest;
import dev.phantom.api.v1.ListProfilesResponse;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunEvent;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.ReadFileRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.api.v1.WriteFilesRequest;
import dev.phantom.api.v1.SandboxApiGrpcClient;
import dev.phantom.gateway.SandboxOperations;
import dev.phantom.support.PhantomException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A small client of {@code phantom.v1.SandboxApi} for the CLI and tests. Unlike the generated client
 * it keeps the server's status message, so a failure reads as the server wrote it.
 */
public final class SandboxClient implements SandboxOperations {

  private final GrpcClient client;
  private final SocketAddress server;
  private final Context context;
  private final String apiKey;

  /** Results carry output and collected files: far more than gRPC's customary 4 MiB default. */
  public static final long MAX_MESSAGE_BYTES = 256L << 20;

  public SandboxClient(Vertx vertx, SocketAddress server) {
    this(vertx, server, null);
  }

  /** @param apiKey sent as {@code authorization: Bearer <key>} on every call; null sends none */
  public SandboxClient(Vertx vertx, SocketAddress server, String apiKey) {
    this.client = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(MAX_MESSAGE_BYTES));
    this.server = server;
    this.context = vertx.getOrCreateContext();
    this.apiKey = apiKey;
  }

  private <Q, R> Future<GrpcClientRequest<Q, R>> call(ServiceMethod<R, Q> method) {
    return client.request(server, method).map(request -> {
      if (apiKey != null) {
        request.headers().set("authorization", "Bearer " + apiKey);
      }
      return request;
    });
  }

  /** Parses {@code host:port}. */
  public static SocketAddress address(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new IllegalArgumentException("gateway address must be host:port, got '" + hostPort + "'");
    }
    try {
      return SocketAddress.inetSocketAddress(Integer.parseInt(hostPort.substring(colon + 1)),
          hostPort.substring(0, colon));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("gateway port must be a number, got '" + hostPort + "'");
    }
  }

  @Override
  public Future<RunResult> run(RunRequest request) {
    return unary(SandboxApiGrpcClient.Run, request);
  }

  @Override
  public Future<RunResult> runCode(RunCodeRequest request) {
    return unary(SandboxApiGrpcClient.RunCode, request);
  }

  @Override
  public Future<ListProfilesResponse> listProfiles() {
    return unary(SandboxApiGrpcClient.ListProfiles, ListProfilesRequest.getDefaultInstance());
  }

  /** Streams a run: {@code onEvent} sees every event; the future holds the exit. */
  @Override
  public Future<RunResult> runStream(RunRequest request, Consumer<RunEvent> onEvent) {
    return onContext(() -> call(SandboxApiGrpcClient.RunStream)
        .compose(call -> call.send(request))
        .compose(response -> collect(response, onEvent))
        .compose(last -> last != null && last.hasExit()
            ? Future.succeededFuture(last.getExit())
            : Future.failedFuture(PhantomException.internal("the stream ended without an exit event"))));
  }

  @Override
  public Future<Sandbox> createSandbox(CreateSandboxRequest request) {
    return unary(SandboxApiGrpcClient.CreateSandbox, request);
  }

  @Override
  public Future<Void> destroySandbox(String sandboxId) {
    return unary(SandboxApiGrpcClient.DestroySandbox, DestroySandboxRequest.newBuilder().setSandboxId(sandboxId).build())
        .mapEmpty();
  }

  @Override
  public Future<dev.phantom.api.v1.Snapshot> snapshotSandbox(String sandboxId) {
    return unary(SandboxApiGrpcClient.SnapshotSandbox,
        dev.phantom.api.v1.SnapshotSandboxRequest.newBuilder().setSandboxId(sandboxId).build());
  }

  public Future<Void> deleteSnapshot(String snapshotId) {
    return unary(SandboxApiGrpcClient.DeleteSnapshot,
        dev.phantom.api.v1.DeleteSnapshotRequest.newBuilder().setSnapshotId(snapshotId).build()).mapEmpty();
  }

  /** Exec with no standard input: the start message, then the half-close; output is gathered until the exit. */
  @Override
  public Future<RunResult> exec(ExecStart start) {
    ExecOutputCollector output = new ExecOutputCollector();
    return onContext(() -> call(SandboxApiGrpcClient.Exec)
        .compose(call -> {
          call.write(ExecInput.newBuilder().setStart(start).build());
          call.end();
          return call.response();
        })
        .compose(response -> collect(response, message -> {
          if (message.hasChunk()) {
            output.accept(message.getChunk());
          }
        }))
        .compose(last -> last != null && last.hasExit()
            ? Future.succeededFuture(output.complete(last.getExit()))
            : Future.failedFuture(PhantomException.internal("the exec ended without an exit message"))));
  }

  @Override
  public Future<Void> writeFiles(WriteFilesRequest request) {
    return unary(SandboxApiGrpcClient.WriteFiles, request)
        .mapEmpty();
  }

  /** The whole file, its chunks joined. */
  @Override
  public Future<ByteString> readFile(ReadFileRequest request) {
    ByteString.Output content = ByteString.newOutput();
    return onContext(() -> call(SandboxApiGrpcClient.ReadFile)
        .compose(call -> call.send(request))
        .compose(response -> collect(response, chunk -> {
          byte[] data = chunk.getData().toByteArray();
          content.write(data, 0, data.length);
        })))
        .map(last -> content.toByteString());
  }

  @Override
  public Future<ListFilesResponse> listFiles(ListFilesRequest request) {
    return unary(SandboxApiGrpcClient.ListFiles, request);
  }

  /**
   * An Exec whose standard input is streamed live from {@code input} as it is read (a terminal, a pipe),
   * closed at its end of file. The reading thread is a daemon: a command that ends before its input
   * does not keep the caller waiting.
   */
  public Future<RunResult> execLive(ExecStart start, java.io.InputStream input, Consumer<OutputChunk> onChunk) {
    return execInteractive(start, input, onChunk).exit();
  }

  /**
   * An Exec the caller can interrupt: {@code onChunk} sees output as it arrives; {@code input}, when not
   * null, is streamed as stdin (else stdin is closed at once). The request stays open until the exit, so
   * that {@link ExecCall#signal} still reaches the command after its input ended.
   */
  public ExecCall execInteractive(ExecStart start, java.io.InputStream input, Consumer<OutputChunk> onChunk) {
    ExecCall exec = new ExecCall(context);
    Future<RunResult> exit = onContext(() -> call(SandboxApiGrpcClient.Exec)
        .compose(call -> {
          exec.request.complete(call);
          call.write(ExecInput.newBuilder().setStart(start).build());
          if (input == null) {
            call.write(ExecInput.newBuilder().setCloseStdin(true).build());
          } else {
            Thread.ofPlatform().daemon().name("phantom-exec-stdin").start(() -> pump(input, call, exec));
          }
          return call.response();
        })
        .compose(response -> execExit(response, onChunk)));
    exec.exit = exit.andThen(done -> context.runOnContext(v -> {
      exec.over = true;
      exec.request.future().onSuccess(call -> {
        try {
          call.end();
        } catch (IllegalStateException alreadyReset) {
          // A server that ends its side first resets the stream; our side is then closed already.
        }
      });
    }));
    return exec;
  }

  /** An Exec in flight: its exit, and the ways to interrupt it. Safe to call from any thread. */
  public static final class ExecCall {
    private final Context context;
    private final Promise<GrpcClientRequest<ExecInput, dev.phantom.api.v1.ExecOutput>> request = Promise.promise();
    private volatile Future<RunResult> exit;
    private boolean over;

    private ExecCall(Context context) {
      this.context = context;
    }

    /** The exit message (its output fields empty); fails with the call's status. */
    public Future<RunResult> exit() {
      return exit;
    }

    /** Sends {@code signal} to the command's process group; ignored once the exec is over. */
    public void signal(int signal) {
      context.runOnContext(v -> request.future().onSuccess(call -> {
        if (!over) {
          call.write(ExecInput.newBuilder().setSignal(signal).build());
        }
      }));
    }

    /** Cancels the call: the gateway kills the command's process group. */
    public void cancel() {
      context.runOnContext(v -> request.future().onSuccess(call -> {
        if (!over) {
          over = true;
          call.cancel();
        }
      }));
    }
  }

  /** Copies {@code input} to the call as stdin messages, on the client's context, then closes stdin. */
  private void pump(java.io.InputStream input, GrpcClientRequest<ExecInput, dev.phantom.api.v1.ExecOutput> call,
      ExecCall exec) {
    byte[] buffer = new byte[16 << 10];
    try {
      int n;
      while ((n = input.read(buffer)) > 0) {
        ByteString chunk = ByteString.copyFrom(buffer, 0, n);
        context.runOnContext(v -> {
          if (!exec.over) {
            call.write(ExecInput.newBuilder().setStdin(chunk).build());
          }
        });
      }
    } catch (java.io.IOException e) {
      // The input failed: close the command's stdin as at end of file.
    }
    context.runOnContext(v -> {
      if (!exec.over) {
        call.write(ExecInput.newBuilder().setCloseStdin(true).build());
      }
    });
  }

  /**
   * Streams a directory of /workspace as a tar into {@code into} (created or truncated), refusing more
   * than {@code maxBytes}; {@code received} sees the running total. The future holds the bytes written.
   */
  public Future<Long> downloadArchive(DownloadArchiveRequest request, Path into, long maxBytes, LongConsumer received) {
    return download(SandboxApiGrpcClient.DownloadArchive, request, ArchiveChunk::getData, into, maxBytes, received);
  }

  /** As {@link #downloadArchive}, for one file's content. */
  public Future<Long> readFile(ReadFileRequest request, Path into, long maxBytes, LongConsumer received) {
    return download(SandboxApiGrpcClient.ReadFile, request, FileChunk::getData, into, maxBytes, received);
  }

  private <Q, R> Future<Long> download(ServiceMethod<R, Q> method, Q request, Function<R, ByteString> data, Path into,
      long maxBytes, LongConsumer received) {
    Vertx vertx = context.owner();
    return onContext(() -> vertx.fileSystem()
        .open(into.toString(), new OpenOptions().setWrite(true).setCreate(true).setTruncateExisting(true))
        .compose(file -> call(method).compose(call -> call.send(request).compose(response -> {
          Promise<Long> done = Promise.promise();
          long[] total = new long[1];
          response.handler(message -> {
            ByteString bytes = data.apply(message);
            total[0] += bytes.size();
            if (total[0] > maxBytes) {
              if (done.tryFail(new PhantomException(GrpcStatus.RESOURCE_EXHAUSTED,
                  "the download is larger than the limit of " + maxBytes + " bytes"))) {
                call.cancel();
              }
              return;
            }
            file.write(Buffer.buffer(bytes.toByteArray()));
            received.accept(total[0]);
            if (file.writeQueueFull()) {
              response.pause();
              file.drainHandler(v -> response.resume());
            }
          });
          response.exceptionHandler(done::tryFail);
          response.endHandler(end -> {
            if (response.status() == GrpcStatus.OK) {
              done.tryComplete(total[0]);
            } else {
              done.tryFail(new PhantomException(response.status(), response.statusMessage()));
            }
          });
          return done.future();
        })).eventually(file::close)));
  }

  /**
   * Streams the tar file {@code tarFile} into a directory of /workspace (created if missing) with
   * back-pressure; {@code sent} sees the running total of bytes sent.
   */
  public Future<UploadArchiveResponse> uploadArchive(ArchiveStart start, Path tarFile, LongConsumer sent) {
    Vertx vertx = context.owner();
    return onContext(() -> vertx.fileSystem().open(tarFile.toString(), new OpenOptions().setRead(true).setWrite(false))
        .compose(file -> call(SandboxApiGrpcClient.UploadArchive).compose(call -> {
          Throwable[] readFailure = new Throwable[1];
          long[] total = new long[1];
          call.write(ArchiveChunk.newBuilder().setStart(start).build());
          file.setReadBufferSize(64 << 10);
          file.handler(buffer -> {
            total[0] += buffer.length();
            call.write(ArchiveChunk.newBuilder().setData(ByteString.copyFrom(buffer.getBytes())).build());
            sent.accept(total[0]);
            if (call.writeQueueFull()) {
              file.pause();
              call.drainHandler(v -> file.resume());
            }
          });
          file.exceptionHandler(failure -> {
            readFailure[0] = failure;
            call.cancel();
          });
          file.endHandler(v -> call.end());
          return call.response()
              .compose(response -> collect(response, r -> { }))
              .recover(failure -> Future.failedFuture(readFailure[0] != null ? readFailure[0] : failure));
        }).eventually(file::close)));
  }

  public Future<ListSandboxesResponse> listSandboxes(ListSandboxesRequest request) {
    return unary(SandboxApiGrpcClient.ListSandboxes, request);
  }

  public Future<Void> removeFiles(RemoveFilesRequest request) {
    return unary(SandboxApiGrpcClient.RemoveFiles, request)
        .mapEmpty();
  }

  private <Q, R> Future<R> unary(ServiceMethod<R, Q> method, Q request) {
    return onContext(() -> call(method)
        .compose(call -> call.send(request))
        .compose(response -> collect(response, result -> { })));
  }

  /** Hands each output chunk of an Exec to {@code onChunk}; the future holds the exit message. */
  private static Future<RunResult> execExit(GrpcClientResponse<ExecInput, dev.phantom.api.v1.ExecOutput> response,
      Consumer<OutputChunk> onChunk) {
    return collect(response, message -> {
      if (message.hasChunk()) {
        onChunk.accept(message.getChunk());
      }
    }).compose(last -> last != null && last.hasExit()
        ? Future.succeededFuture(last.getExit())
        : Future.failedFuture(PhantomException.internal("the exec ended without an exit message")));
  }

  /**
   * Starts a call on this client's own event loop. Called from any other thread, the response's
   * callbacks would be scheduled onto a different loop than the connection's, and a reply that ends
   * at once (an error status) could end before the handlers reading it were set.
   */
  private <T> Future<T> onContext(Supplier<Future<T>> call) {
    Promise<T> outcome = Promise.promise();
    context.runOnContext(v -> call.get().onComplete(outcome));
    // Vert.x closes an HTTP client once it is unreachable, and a caller may drop this client right
    // after starting a call: the call's own completion keeps the client alive until it is over.
    return outcome.future().andThen(done -> Reference.reachabilityFence(this));
  }

  private static <T> Future<T> collect(GrpcClientResponse<?, T> response, Consumer<T> onMessage) {
    Promise<T> outcome = Promise.promise();
    Object[] last = new Object[1];
    response.handler(message -> {
      last[0] = message;
      onMessage.accept(message);
    });
    response.exceptionHandler(outcome::tryFail);
    response.endHandler(end -> {
      if (response.status() == GrpcStatus.OK) {
        @SuppressWarnings("unchecked")
        T result = (T) last[0];
        outcome.tryComplete(result);
      } else {
        outcome.tryFail(new PhantomException(response.status(), response.statusMessage()));
      }
    });
    return outcome.future();
  }

  public Future<Void> close() {
    return client.close();
  }
}
