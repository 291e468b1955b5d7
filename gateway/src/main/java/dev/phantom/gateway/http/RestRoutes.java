package dev.phantom.gateway.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunEvent;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.gateway.ApiMetrics;
import dev.phantom.gateway.RunCoordinator;
import dev.phantom.gateway.access.AccessControl;
import dev.phantom.gateway.mcp.McpHttpTransport;
import dev.phantom.support.PhantomException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The JSON mirror of {@code phantom.v1.SandboxApi} under {@code /api/v2}: the same messages in the
 * canonical proto3 JSON mapping (bytes fields are base64), the same errors as HTTP statuses with a
 * JSON body, and streamed runs as Server-Sent Events. Described by {@code /api/v2/openapi.json}.
 */
public final class RestRoutes {

  public static final String PREFIX = "/api/v2";

  private static final JsonFormat.Printer PRINTER = JsonFormat.printer().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private final RunCoordinator coordinator;
  private final AccessControl access;
  private final ApiMetrics metrics;

  public RestRoutes(RunCoordinator coordinator, AccessControl access, ApiMetrics metrics) {
    this.coordinator = coordinator;
    this.access = access;
    this.metrics = metrics;
  }

  /** Admits a request to another HTTP front door (MCP) by the same keys and rates, or answers the refusal. */
  public static io.vertx.core.Handler<RoutingContext> gate(AccessControl access, String api) {
    return ctx -> {
      try {
        String caller = access.admit(ctx.request().headers(), ctx.request().remoteAddress().hostAddress(), api);
        // The MCP transport binds each of its sessions to the caller that opened it.
        ctx.put(McpHttpTransport.CALLER_KEY, caller);
      } catch (PhantomException refused) {
        HttpErrors.send(ctx.response(), refused);
        return;
      }
      ctx.next();
    };
  }

  public void mount(Router router, long maxBodyBytes) {
    router.get(PREFIX + "/openapi.json").handler(RestRoutes::openApi);
    router.route(PREFIX + "/*").handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
    router.post(PREFIX + "/run").handler(ctx -> unary(ctx, "Run", RunRequest.newBuilder(),
        (RunRequest request) -> coordinator.run(request, cancellation(ctx))));
    router.post(PREFIX + "/run-code").handler(ctx -> unary(ctx, "RunCode", RunCodeRequest.newBuilder(),
        (RunCodeRequest request) -> coordinator.runCode(request, cancellation(ctx))));
    router.get(PREFIX + "/profiles").handler(ctx -> timed(ctx, "ListProfiles", coordinator::listProfiles));
    router.post(PREFIX + "/run/stream").handler(this::runStream);
  }

  @SuppressWarnings("unchecked")
  private <Q extends Message> void unary(RoutingContext ctx, String method, Message.Builder builder,
      Function<Q, Future<? extends Message>> call) {
    timed(ctx, method, () -> call.apply((Q) parse(ctx, builder)));
  }

  /** Admits, calls, and answers JSON or the error; times it all. */
  private void timed(RoutingContext ctx, String method, Supplier<Future<? extends Message>> call) {
    long start = System.nanoTime();
    Future<? extends Message> result;
    String caller = "";
    try {
      caller = access.admit(ctx.request().headers(), ctx.request().remoteAddress().hostAddress(), "rest");
      result = call.get();
    } catch (PhantomException e) {
      result = Future.failedFuture(e);
    }
    String who = caller;
    result.onComplete(
        message -> {
          ctx.response().putHeader("content-type", "application/json").end(print(message));
          metrics.record("rest", method, "OK", start, who, "", "");
        },
        failure -> metrics.record("rest", method, HttpErrors.send(ctx.response(), failure), start, who, "", ""));
  }

  /** Each event as {@code event: output|exit} with the RunEvent as JSON data; errors before the first event as HTTP errors. */
  private void runStream(RoutingContext ctx) {
    long start = System.nanoTime();
    HttpServerResponse response = ctx.response();
    Future<Void> done;
    try {
      access.admit(ctx.request().headers(), ctx.request().remoteAddress().hostAddress(), "rest");
      RunRequest request = (RunRequest) parse(ctx, RunRequest.newBuilder());
      done = coordinator.runStream(request, event -> {
        if (!response.headWritten()) {
          response.setChunked(true).putHeader("content-type", "text/event-stream")
              .putHeader("cache-control", "no-cache");
        }
        if (!response.closed()) {
          response.write("event: " + (event.hasExit() ? "exit" : "output") + "\ndata: " + print(event) + "\n\n");
        }
      }, cancellation(ctx));
    } catch (PhantomException e) {
      done = Future.failedFuture(e);
    }
    done.onComplete(
        ok -> {
          if (!response.closed()) {
            response.end();
          }
          metrics.record("rest", "RunStream", "OK", start);
        },
        failure -> {
          String status = failure instanceof PhantomException p ? p.status().name() : "INTERNAL";
          if (response.headWritten() && !response.closed()) {
            response.end("event: error\ndata: " + HttpErrors.body(HttpErrors.httpStatus(
                failure instanceof PhantomException p ? p.status() : io.vertx.grpc.common.GrpcStatus.INTERNAL),
                status, failure.getMessage()).encode() + "\n\n");
          } else {
            status = HttpErrors.send(response, failure);
          }
          metrics.record("rest", "RunStream", status, start);
        });
  }

  private static Message parse(RoutingContext ctx, Message.Builder builder) {
    String body = ctx.body().asString();
    if (body == null || body.isBlank()) {
      throw PhantomException.invalidArgument("the request body must be a JSON object");
    }
    try {
      PARSER.merge(body, builder);
      return builder.build();
    } catch (InvalidProtocolBufferException e) {
      throw PhantomException.invalidArgument("malformed request body: " + e.getMessage());
    }
  }

  private static String print(Message message) {
    try {
      return PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a message of our own API did not print as JSON", e);
    }
  }

  /** Completes when the client goes away, which kills what the request started. */
  private static Future<Void> cancellation(RoutingContext ctx) {
    Promise<Void> cancelled = Promise.promise();
    ctx.response().closeHandler(v -> cancelled.tryComplete());
    return cancelled.future();
  }

  private static void openApi(RoutingContext ctx) {
    try (InputStream in = RestRoutes.class.getResourceAsStream("/openapi.json")) {
      ctx.response().putHeader("content-type", "application/json")
          .end(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException | NullPointerException e) {
      HttpErrors.send(ctx.response(), PhantomException.internal("the OpenAPI document is missing from this build"));
    }
  }
}
