package dev.phantom.loadtest;

import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.DestroySandboxRequest;
import dev.phantom.api.v1.DestroySandboxResponse;
import dev.phantom.api.v1.ExecInput;
import dev.phantom.api.v1.ExecOutput;
import dev.phantom.api.v1.ExecStart;
import dev.phantom.api.v1.FileChunk;
import dev.phantom.api.v1.ListProfilesRequest;
import dev.phantom.api.v1.ListProfilesResponse;
import dev.phantom.api.v1.ReadFileRequest;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.api.v1.SandboxApiGrpcClient;
import dev.phantom.api.v1.WriteFilesRequest;
import dev.phantom.api.v1.WriteFilesResponse;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.lang.ref.Reference;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One channel to the gateway over the generated client's method descriptors. Every call starts on
 * this channel's own event loop (a call started from a foreign thread can lose a reply that ends at
 * once), and the call's completion keeps the channel reachable until it is over.
 */
final class Api {

  /** Results carry output and files: far more than gRPC's customary 4 MiB default. */
  static final long MAX_MESSAGE_BYTES = 256L << 20;

  /** A failed call, named by its gRPC status (or a client-side reason) for the error table. */
  static final class CallFailure extends RuntimeException {
    final String status;

    CallFailure(String status, String message) {
      super(message == null || message.isEmpty() ? status : status + ": " + message, null, false, false);
      this.status = status;
    }
  }

  private final GrpcClient client;
  /** Unary calls ({@link UnaryCall}): HTTP/2 without upgrade, as gRPC's h2c is. */
  private final io.vertx.core.http.HttpClient http;
  private final SocketAddress server;
  private final Context context;
  private final String apiKey;
  private final long timeoutMs;

  Api(Vertx vertx, SocketAddress server, String apiKey, long timeoutMs) {
    this.client = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(MAX_MESSAGE_BYTES));
    this.http = vertx.createHttpClient(new io.vertx.core.http.HttpClientOptions()
        .setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
    this.server = server;
    this.context = vertx.getOrCreateContext();
    this.apiKey = apiKey;
    this.timeoutMs = timeoutMs;
  }

  static String statusOf(Throwable failure) {
    if (failure instanceof CallFailure f) {
      return f.status;
    }
    if (failure instanceof java.util.concurrent.TimeoutException) {
      return "CLIENT_TIMEOUT";
    }
    if (failure instanceof java.net.ConnectException || failure.getCause() instanceof java.net.ConnectException) {
      return "UNAVAILABLE";
    }
    return "CLIENT_" + failure.getClass().getSimpleName();
  }

  Future<RunResult> run(RunRequest request) {
    return unary(SandboxApiGrpcClient.Run, request);
  }

  Future<RunResult> runCode(RunCodeRequest request) {
    return unary(SandboxApiGrpcClient.RunCode, request);
  }

  /** A loaded profile compiled for this machine's architecture (its seccomp program, for baselines). */
  Future<dev.phantom.proto.policy.v1.CompiledProfile> compileProfile(String profile) {
    String arch = System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch");
    return unary(dev.phantom.proto.policy.v1.PolicyApiGrpcClient.CompileProfile,
        dev.phantom.proto.policy.v1.CompileProfileRequest.newBuilder().setProfile(profile).setArch(arch).build());
  }

  Future<ListProfilesResponse> listProfiles() {
    return unary(SandboxApiGrpcClient.ListProfiles, ListProfilesRequest.getDefaultInstance());
  }

  Future<Sandbox> create(CreateSandboxRequest request) {
    return unary(SandboxApiGrpcClient.CreateSandbox, request);
  }

  Future<DestroySandboxResponse> destroy(String id) {
    return unary(SandboxApiGrpcClient.DestroySandbox, DestroySandboxRequest.newBuilder().setSandboxId(id).build());
  }

  Future<WriteFilesResponse> writeFiles(WriteFilesRequest request) {
    return unary(SandboxApiGrpcClient.WriteFiles, request);
  }

  /** Reads a whole file; the future holds its size in bytes. */
  Future<Long> readFile(ReadFileRequest request) {
    long[] size = new long[1];
    return onContext(() -> call(SandboxApiGrpcClient.ReadFile)
        .compose(call -> call.send(request))
        .compose(response -> collect(response, (FileChunk chunk) -> size[0] += chunk.getData().size())))
        .map(last -> size[0]);
  }

  /** Runs a command in a session with standard input closed; the future holds the exit. */
  Future<RunResult> exec(ExecStart start) {
    return onContext(() -> call(SandboxApiGrpcClient.Exec)
        .compose(call -> {
          call.write(ExecInput.newBuilder().setStart(start).build());
          call.end();
          return call.response();
        })
        .compose(response -> collect(response, (ExecOutput out) -> {}))
        .compose(last -> last != null && last.hasExit()
            ? Future.succeededFuture(last.getExit())
            : Future.failedFuture(new CallFailure("CLIENT_NO_EXIT", "Exec ended without an exit message"))));
  }

  private <Q, R> Future<R> unary(ServiceMethod<R, Q> method, Q request) {
    return onContext(() -> UnaryCall.send(http, server, apiKey, method, request));
  }

  private <Q, R> Future<GrpcClientRequest<Q, R>> call(ServiceMethod<R, Q> method) {
    return client.request(server, method).map(request -> {
      if (apiKey != null && !apiKey.isEmpty()) {
        request.headers().set("authorization", "Bearer " + apiKey);
      }
      return request;
    });
  }

  private <T> Future<T> onContext(Supplier<Future<T>> call) {
    Promise<T> outcome = Promise.promise();
    context.runOnContext(v -> call.get().onComplete(outcome));
    Future<T> future = timeoutMs > 0 ? outcome.future().timeout(timeoutMs, TimeUnit.MILLISECONDS) : outcome.future();
    return future.andThen(done -> Reference.reachabilityFence(this));
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
        outcome.tryFail(new CallFailure(response.status().name(), response.statusMessage()));
      }
    });
    return outcome.future();
  }

  Future<Void> close() {
    return Future.join(client.close(), http.close()).mapEmpty();
  }
}
