package dev.phantom.gateway.http;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.DestroySandboxRequest;
import dev.phantom.api.v1.DestroySandboxResponse;
import dev.phantom.api.v1.ExecStart;
import dev.phantom.api.v1.GetSandboxRequest;
import dev.phantom.api.v1.KeepAliveRequest;
import dev.phantom.api.v1.ListFilesRequest;
import dev.phantom.api.v1.MakeDirectoriesRequest;
import dev.phantom.api.v1.MakeDirectoriesResponse;
import dev.phantom.api.v1.OutputStream;
import dev.phantom.api.v1.RemoveFilesRequest;
import dev.phantom.api.v1.RemoveFilesResponse;
import dev.phantom.api.v1.RunEvent;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.UploadArchiveResponse;
import dev.phantom.api.v1.WriteFilesRequest;
import dev.phantom.api.v1.WriteFilesResponse;
import dev.phantom.gateway.ApiMetrics;
import dev.phantom.gateway.access.AccessControl;
import dev.phantom.gateway.session.SessionCoordinator;
import dev.phantom.proto.zygote.v1.ExecDone;
import dev.phantom.proto.zygote.v1.ExecRequest;
import dev.phantom.proto.zygote.v1.SessionCall;
import dev.phantom.proto.zygote.v1.SessionReply;
import dev.phantom.support.PhantomException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The REST mirror of the session methods of {@code phantom.v1.SandboxApi} under {@code /api/v2/sandboxes}:
 * the same messages in canonical proto3 JSON, the same owner rule (the admitted caller; another key's
 * sandbox is 404), errors as HTTP statuses with a JSON body. Exec answers the collected result, or
 * Server-Sent Events when asked for {@code text/event-stream}; file contents and archives travel as raw
 * bytes. Bodies go through the {@code /api/v2} body handler, so one larger than the gateway's
 * {@code maxMessageBytes} is answered 413 (status RESOURCE_EXHAUSTED).
 */
public final class RestSessionRoutes {

  private static final String SANDBOXES = RestRoutes.PREFIX + "/sandboxes";
  private static final String ONE = SANDBOXES + "/:id";
  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();
  /** Archive bytes go to the node in pieces of this size. */
  private static final int STDIN_CHUNK = 1 << 20;

  private final SessionCoordinator sessions;
  private final AccessControl access;
  private final ApiMetrics metrics;

  public RestSessionRoutes(SessionCoordinator sessions, AccessControl access, ApiMetrics metrics) {
    this.sessions = sessions;
    this.access = access;
    this.metrics = metrics;
  }

  /** Its own coordinator (node-lost notices are published, so each coordinator hears them). */
  /** Mount after {@link RestRoutes#mount}, whose body handler (and size limit) these routes rely on. */
  public void mount(Router router) {
    router.route(SANDBOXES + "*").failureHandler(RestSessionRoutes::bodyFailure);
    router.post(SANDBOXES).handler(ctx -> unary(ctx, "CreateSandbox", (owner, id) -> {
      CreateSandboxRequest request = parse(ctx, CreateSandboxRequest.newBuilder());
      return sessions.create(owner, request);
    }));
    router.get(SANDBOXES).handler(ctx -> unary(ctx, "ListSandboxes", (owner, id) -> {
      Map<String, String> labels = new LinkedHashMap<>();
      ctx.queryParams().forEach(e -> {
        if (e.getKey().startsWith("label.")) {
          labels.put(e.getKey().substring("label.".length()), e.getValue());
        }
      });
      return sessions.list(owner, labels);
    }));
    router.get(ONE).handler(ctx -> unary(ctx, "GetSandbox", (owner, id) -> call(id,
        SessionCall.newBuilder().setOwner(owner).setGet(GetSandboxRequest.newBuilder().setSandboxId(id)))
        .map(SessionReply::getSandbox)));
    router.delete(ONE).handler(ctx -> unary(ctx, "DestroySandbox", (owner, id) -> call(id,
        SessionCall.newBuilder().setOwner(owner).setDestroy(DestroySandboxRequest.newBuilder().setSandboxId(id)))
        .map(DestroySandboxResponse.getDefaultInstance())));
    router.post(ONE + "/keepalive").handler(ctx -> unary(ctx, "KeepAlive", (owner, id) -> call(id,
        SessionCall.newBuilder().setOwner(owner).setKeepAlive(KeepAliveRequest.newBuilder().setSandboxId(id)))
        .map(SessionReply::getSandbox)));
    router.post(ONE + "/snapshot").handler(ctx -> unary(ctx, "SnapshotSandbox", sessions::snapshot));
    router.delete(RestRoutes.PREFIX + "/snapshots/:id").handler(ctx -> unary(ctx, "DeleteSnapshot",
        (owner, id) -> sessions.deleteSnapshot(owner, id).map(dev.phantom.api.v1.DeleteSnapshotResponse.getDefaultInstance())));
    router.put(ONE + "/files").handler(ctx -> unary(ctx, "WriteFiles", (owner, id) -> {
      WriteFilesRequest request = parse(ctx, WriteFilesRequest.newBuilder());
      return call(id, SessionCall.newBuilder().setOwner(owner).setWriteFiles(request.toBuilder().setSandboxId(id)))
          .map(WriteFilesResponse.getDefaultInstance());
    }));
    router.get(ONE + "/files").handler(ctx -> unary(ctx, "ListFiles", (owner, id) -> call(id,
        SessionCall.newBuilder().setOwner(owner).setListFiles(ListFilesRequest.newBuilder().setSandboxId(id)
            .setPath(query(ctx, "path")).setRecursive(flag(ctx, "recursive"))))
        .map(SessionReply::getFiles)));
    router.delete(ONE + "/files").handler(ctx -> unary(ctx, "RemoveFiles", (owner, id) -> {
      List<String> paths = ctx.queryParam("path");
      if (paths.isEmpty()) {
        throw PhantomException.invalidArgument("name the paths to remove with ?path=...");
      }
      return call(id, SessionCall.newBuilder().setOwner(owner).setRemoveFiles(RemoveFilesRequest.newBuilder()
              .setSandboxId(id).addAllPaths(paths).setRecursive(flag(ctx, "recursive"))))
          .map(RemoveFilesResponse.getDefaultInstance());
    }));
    router.post(ONE + "/directories").handler(ctx -> unary(ctx, "MakeDirectories", (owner, id) -> {
      MakeDirectoriesRequest request = parse(ctx, MakeDirectoriesRequest.newBuilder());
      return call(id, SessionCall.newBuilder().setOwner(owner)
              .setMakeDirectories(request.toBuilder().setSandboxId(id)))
          .map(MakeDirectoriesResponse.getDefaultInstance());
    }));
    router.put(ONE + "/archive").handler(ctx -> unary(ctx, "UploadArchive", (owner, id) -> {
      Buffer body = ctx.body().buffer();
      SessionCoordinator.ExecCall exec = sessions.exec(owner, id,
          ExecRequest.newBuilder().setUploadArchive(query(ctx, "path")), 0, output -> { });
      cancelOnClose(ctx, exec);
      if (body != null) {
        for (int at = 0; at < body.length(); at += STDIN_CHUNK) {
          exec.stdin(ByteString.copyFrom(body.getBytes(at, Math.min(body.length(), at + STDIN_CHUNK))));
        }
      }
      exec.closeStdin();
      return exec.done().map(done -> UploadArchiveResponse.newBuilder().setFiles(done.getFiles())
          .setBytes(done.getBytes()).build());
    }));
    router.get(ONE + "/archive").handler(ctx -> bytesOut(ctx, "DownloadArchive", "application/x-tar",
        ExecRequest.newBuilder().setDownloadArchive(query(ctx, "path"))));
    router.get(ONE + "/files/content").handler(ctx -> bytesOut(ctx, "ReadFile", "application/octet-stream",
        ExecRequest.newBuilder().setReadFile(query(ctx, "path"))));
    router.post(ONE + "/exec").handler(this::exec);
  }

  private Future<SessionReply> call(String sandboxId, SessionCall.Builder call) {
    return sessions.call(sandboxId, call.build());
  }

  /** Admits the caller and answers the call's message as JSON, or the error; times it all. */
  private void unary(RoutingContext ctx, String method, BiFunction<String, String, Future<? extends Message>> action) {
    long start = System.nanoTime();
    String id = ctx.pathParam("id") == null ? "" : ctx.pathParam("id");
    String caller = "";
    Future<? extends Message> result;
    try {
      caller = admit(ctx);
      result = action.apply(caller, id);
    } catch (PhantomException e) {
      result = Future.failedFuture(e);
    }
    String who = caller;
    result.onComplete(message -> {
      String sandbox = id.isEmpty() && message instanceof dev.phantom.api.v1.Sandbox s ? s.getId() : id;
      String profile = message instanceof dev.phantom.api.v1.Sandbox s ? s.getProfile() : "";
      if (!ctx.response().closed()) {
        ctx.response().putHeader("content-type", "application/json").end(print(message));
      }
      metrics.record("rest", method, "OK", start, who, sandbox, profile);
    }, failure -> metrics.record("rest", method, HttpErrors.send(ctx.response(), failure), start, who, id, ""));
  }

  /** A file or an archive: the exec's standard output, collected, then sent whole (or the error). */
  private void bytesOut(RoutingContext ctx, String method, String contentType, ExecRequest.Builder op) {
    long start = System.nanoTime();
    String id = ctx.pathParam("id");
    String caller = "";
    Future<Buffer> result;
    try {
      caller = admit(ctx);
      Buffer collected = Buffer.buffer();
      SessionCoordinator.ExecCall exec = sessions.exec(caller, id, op, 0,
          chunk -> collected.appendBytes(chunk.getData().toByteArray()));
      cancelOnClose(ctx, exec);
      result = exec.done().map(done -> collected);
    } catch (PhantomException e) {
      result = Future.failedFuture(e);
    }
    String who = caller;
    result.onComplete(bytes -> {
      if (!ctx.response().closed()) {
        ctx.response().putHeader("content-type", contentType).end(bytes);
      }
      metrics.record("rest", method, "OK", start, who, id, "");
    }, failure -> metrics.record("rest", method, HttpErrors.send(ctx.response(), failure), start, who, id, ""));
  }

  /**
   * Runs a command in the session. The body is ExecStart's JSON (argv, env, cwd, timeout) plus an optional
   * base64 {@code stdin}, fed then closed. Answers a RunResult with the output filled in, or with
   * {@code Accept: text/event-stream} the events of {@code /run/stream}. A client that goes away kills it.
   */
  private void exec(RoutingContext ctx) {
    long start = System.nanoTime();
    String id = ctx.pathParam("id");
    HttpServerResponse response = ctx.response();
    String accept = ctx.request().getHeader("accept");
    boolean sse = accept != null && accept.contains("text/event-stream");
    String method = sse ? "ExecStream" : "Exec";
    String caller = "";
    Future<ExecDone> done;
    Buffer stdout = Buffer.buffer();
    Buffer stderr = Buffer.buffer();
    try {
      caller = admit(ctx);
      JsonObject body = json(ctx);
      byte[] stdin = null;
      Object rawStdin = body.remove("stdin");
      if (rawStdin != null) {
        if (!(rawStdin instanceof String text)) {
          throw PhantomException.invalidArgument("stdin must be a base64 string");
        }
        try {
          stdin = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
          throw PhantomException.invalidArgument("stdin is not valid base64: " + e.getMessage());
        }
      }
      ExecStart command;
      try {
        ExecStart.Builder builder = ExecStart.newBuilder();
        PARSER.merge(body.encode(), builder);
        command = builder.setSandboxId(id).build();
      } catch (InvalidProtocolBufferException e) {
        throw PhantomException.invalidArgument("malformed request body: " + e.getMessage());
      }
      long timeoutMs = command.hasTimeout()
          ? command.getTimeout().getSeconds() * 1000 + command.getTimeout().getNanos() / 1_000_000 : 0;
      SessionCoordinator.ExecCall exec = sessions.exec(caller, id, ExecRequest.newBuilder().setCommand(command),
          timeoutMs, chunk -> {
            if (sse) {
              if (!response.headWritten()) {
                response.setChunked(true).putHeader("content-type", "text/event-stream")
                    .putHeader("cache-control", "no-cache");
              }
              if (!response.closed()) {
                response.write("event: output\ndata: " + print(RunEvent.newBuilder().setOutput(chunk).build()) + "\n\n");
              }
            } else {
              (chunk.getStream() == OutputStream.OUTPUT_STREAM_STDERR ? stderr : stdout)
                  .appendBytes(chunk.getData().toByteArray());
            }
          });
      cancelOnClose(ctx, exec);
      if (stdin != null && stdin.length > 0) {
        exec.stdin(ByteString.copyFrom(stdin));
      }
      exec.closeStdin();
      done = exec.done();
    } catch (PhantomException e) {
      done = Future.failedFuture(e);
    }
    String who = caller;
    done.onComplete(finished -> {
      RunResult result = finished.getResult();
      RunResult.Builder full = result.toBuilder().setTimings(result.getTimings().toBuilder()
          .setTotalMicros((System.nanoTime() - start) / 1000));
      if (!response.closed()) {
        if (sse) {
          if (!response.headWritten()) {
            response.setChunked(true).putHeader("content-type", "text/event-stream")
                .putHeader("cache-control", "no-cache");
          }
          response.end("event: exit\ndata: " + print(RunEvent.newBuilder().setExit(full).build()) + "\n\n");
        } else {
          full.setStdout(ByteString.copyFrom(stdout.getBytes())).setStderr(ByteString.copyFrom(stderr.getBytes()));
          response.putHeader("content-type", "application/json").end(print(full.build()));
        }
      }
      metrics.record("rest", method, "OK", start, who, id, "");
    }, failure -> {
      String status;
      if (response.headWritten() && !response.closed()) {
        PhantomException p = failure instanceof PhantomException e ? e : PhantomException.internal(String.valueOf(failure));
        status = p.status().name();
        response.end("event: error\ndata: " + HttpErrors.body(HttpErrors.httpStatus(p.status()), status,
            p.getMessage()).encode() + "\n\n");
      } else {
        status = HttpErrors.send(response, failure);
      }
      metrics.record("rest", method, status, start, who, id, "");
    });
  }

  private String admit(RoutingContext ctx) {
    return access.admit(ctx.request().headers(), ctx.request().remoteAddress().hostAddress(), "rest");
  }

  private static void cancelOnClose(RoutingContext ctx, SessionCoordinator.ExecCall exec) {
    ctx.response().closeHandler(v -> exec.cancel());
  }

  /** A body too large for the body handler: 413 with the usual JSON error. */
  private static void bodyFailure(RoutingContext ctx) {
    if (ctx.statusCode() == 413 && !ctx.response().ended()) {
      ctx.response().setStatusCode(413).putHeader("content-type", "application/json")
          .end(HttpErrors.body(413, "RESOURCE_EXHAUSTED", "the request body is larger than the gateway's "
              + "maxMessageBytes").encode());
    } else {
      ctx.next();
    }
  }

  private static String query(RoutingContext ctx, String name) {
    String value = ctx.queryParams().get(name);
    return value == null ? "" : value;
  }

  private static boolean flag(RoutingContext ctx, String name) {
    String value = ctx.queryParams().get(name);
    if (value == null || value.isEmpty() || value.equalsIgnoreCase("false") || value.equals("0")) {
      return false;
    }
    if (value.equalsIgnoreCase("true") || value.equals("1")) {
      return true;
    }
    throw PhantomException.invalidArgument(name + " must be true or false, not " + value);
  }

  private static JsonObject json(RoutingContext ctx) {
    String body = ctx.body().asString();
    if (body == null || body.isBlank()) {
      throw PhantomException.invalidArgument("the request body must be a JSON object");
    }
    try {
      return new JsonObject(body);
    } catch (DecodeException | ClassCastException e) {
      throw PhantomException.invalidArgument("malformed request body: " + e.getMessage());
    }
  }

  @SuppressWarnings("unchecked")
  private static <T extends Message> T parse(RoutingContext ctx, Message.Builder builder) {
    String body = ctx.body().asString();
    if (body == null || body.isBlank()) {
      throw PhantomException.invalidArgument("the request body must be a JSON object");
    }
    try {
      PARSER.merge(body, builder);
      return (T) builder.build();
    } catch (InvalidProtocolBufferException e) {
      throw PhantomException.invalidArgument("malformed request body: " + e.getMessage());
    }
  }

  private static String print(com.google.protobuf.MessageOrBuilder message) {
    try {
      return PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a message of our own API did not print as JSON", e);
    }
  }
}
