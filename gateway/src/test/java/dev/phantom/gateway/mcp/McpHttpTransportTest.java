package dev.phantom.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Streamable HTTP transport on a real Vert.x HTTP server, over a fake. */
class McpHttpTransportTest {

  private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
      + "\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
  private static final String INITIALIZED = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
  private static final String CALL = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
      + "\"params\":{\"name\":\"run_command\",\"arguments\":{\"command\":\"echo hi\"}}}";
  private static final String PING = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}";

  private final Vertx vertx = Vertx.vertx();
  private final HttpClient http = HttpClient.newHttpClient();
  private final FakeSandboxOperations sandbox = new FakeSandboxOperations().answering(RunResult.newBuilder()
      .setStatus(RunStatus.RUN_STATUS_OK).setExitCode(0).setStdout(ByteString.copyFromUtf8("hi\n")).build());
  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2025-01-01T00:00:00Z"));
  private McpHttpTransport transport;
  private URI endpoint;

  private void start(McpHttpOptions options) throws Exception {
    Router router = Router.router(vertx);
    // As an access gate would: the admitted caller, here named by the test.
    router.route(McpHttpTransport.PATH).handler(ctx -> {
      String caller = ctx.request().getHeader("X-Test-Caller");
      if (caller != null) {
        ctx.put(McpHttpTransport.CALLER_KEY, caller);
      }
      ctx.next();
    });
    InstantSource clock = now::get;
    transport = McpHttpTransport.mount(router, sandbox, options, clock);
    HttpServer server = vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1")
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    endpoint = URI.create("http://127.0.0.1:" + server.actualPort() + "/mcp");
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aSessionFromInitializeToDelete() throws Exception {
    start(McpHttpOptions.DEFAULTS);

    HttpResponse<String> initialized = post(INITIALIZE, null);
    String session = initialized.headers().firstValue("Mcp-Session-Id").orElseThrow();
    assertThat(initialized.statusCode()).isEqualTo(200);
    assertThat(initialized.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(new JsonObject(initialized.body()).getJsonObject("result").getString("protocolVersion"))
        .isEqualTo("2025-06-18");
    assertThat(session).matches("[A-Za-z0-9_-]{43}");

    HttpResponse<String> notification = post(INITIALIZED, session);
    assertThat(notification.statusCode()).isEqualTo(202);
    assertThat(notification.body()).isEmpty();

    HttpResponse<String> call = post(CALL, session);
    assertThat(call.statusCode()).isEqualTo(200);
    JsonObject result = new JsonObject(call.body()).getJsonObject("result");
    assertThat(result.getBoolean("isError")).isFalse();
    assertThat(result.getJsonObject("structuredContent").getString("stdout")).isEqualTo("hi\n");

    assertThat(send(request(session).DELETE()).statusCode()).isEqualTo(204);
    assertThat(transport.sessionCount()).isZero();
    HttpResponse<String> after = post(PING, session);
    assertThat(after.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(after.body()).getJsonObject("error").getString("message")).contains("Session not found");
    assertThat(send(request(session).DELETE()).statusCode()).isEqualTo(404);
  }

  @Test
  void everyInitializeOpensItsOwnSession() throws Exception {
    start(McpHttpOptions.DEFAULTS);

    String first = post(INITIALIZE, null).headers().firstValue("Mcp-Session-Id").orElseThrow();
    String second = post(INITIALIZE, null).headers().firstValue("Mcp-Session-Id").orElseThrow();

    assertThat(first).isNotEqualTo(second);
    assertThat(transport.sessionCount()).isEqualTo(2);
  }

  @Test
  void aFailedInitializeOpensNoSession() throws Exception {
    start(McpHttpOptions.DEFAULTS);

    HttpResponse<String> response = post("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}", null);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(response.body()).getJsonObject("error").getInteger("code")).isEqualTo(JsonRpc.INVALID_PARAMS);
    assertThat(response.headers().firstValue("Mcp-Session-Id")).isEmpty();
    assertThat(transport.sessionCount()).isZero();
  }

  @Test
  void requestsWithoutASessionAreBadAndUnknownSessionsAreNotFound() throws Exception {
    start(McpHttpOptions.DEFAULTS);

    HttpResponse<String> missing = post(PING, null);
    HttpResponse<String> unknown = post(PING, "no-such-session");

    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(missing.body()).getJsonObject("error").getString("message")).contains("Mcp-Session-Id");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(send(request(null).DELETE()).statusCode()).isEqualTo(400);
  }

  @Test
  void malformedJsonIsABadRequestWithAParseError() throws Exception {
    start(McpHttpOptions.DEFAULTS);
    String session = post(INITIALIZE, null).headers().firstValue("Mcp-Session-Id").orElseThrow();

    for (String body : List.of("{\"jsonrpc\":", "", "hello")) {
      HttpResponse<String> response = post(body, session);
      assertThat(response.statusCode()).as(body).isEqualTo(400);
      assertThat(new JsonObject(response.body()).getJsonObject("error").getInteger("code")).isEqualTo(JsonRpc.PARSE_ERROR);
    }
  }

  @Test
  void aBatchIsAnsweredWithInvalidRequest() throws Exception {
    start(McpHttpOptions.DEFAULTS);
    String session = post(INITIALIZE, null).headers().firstValue("Mcp-Session-Id").orElseThrow();

    HttpResponse<String> response = post("[" + PING + "]", session);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(response.body()).getJsonObject("error").getInteger("code")).isEqualTo(JsonRpc.INVALID_REQUEST);
  }

  @Test
  void getHasNoStreamToOffer() throws Exception {
    start(McpHttpOptions.DEFAULTS);

    HttpResponse<String> response = send(request(null).header("Accept", "text/event-stream").GET());

    assertThat(response.statusCode()).isEqualTo(405);
    assertThat(response.headers().firstValue("Allow")).hasValue("POST, DELETE");
  }

  @ParameterizedTest
  @CsvSource({
      "http://evil.example.com, 403",
      "http://localhost.evil.example.com, 403",
      "null, 403",
      "file://, 403",
      "http://localhost:6274, 200",
      "https://127.0.0.1, 200",
      "http://[::1]:8080, 200",
      "https://agent.example.com, 200"})
  void originsOtherThanLoopbackOrConfiguredAreForbidden(String origin, int status) throws Exception {
    start(new McpHttpOptions(List.of("https://agent.example.com"), McpHttpOptions.DEFAULT_MAX_BODY_BYTES, 10,
        Duration.ofMinutes(1)));

    HttpResponse<String> response = send(request(null).header("Origin", origin)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(INITIALIZE)));

    assertThat(response.statusCode()).isEqualTo(status);
    assertThat(transport.sessionCount()).isEqualTo(status == 200 ? 1 : 0);
  }

  @Test
  void unsupportedProtocolVersionHeadersAreRefused() throws Exception {
    start(McpHttpOptions.DEFAULTS);
    String session = post(INITIALIZE, null).headers().firstValue("Mcp-Session-Id").orElseThrow();

    HttpResponse<String> old = send(request(session).header("MCP-Protocol-Version", "2024-11-05")
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(PING)));
    HttpResponse<String> current = send(request(session).header("MCP-Protocol-Version", "2025-06-18")
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(PING)));

    assertThat(old.statusCode()).isEqualTo(400);
    assertThat(old.body()).contains("2024-11-05");
    assertThat(current.statusCode()).isEqualTo(200);
  }

  @Test
  void onlyJsonIsAcceptedAndSent() throws Exception {
    start(McpHttpOptions.DEFAULTS);

    HttpResponse<String> html = send(HttpRequest.newBuilder(endpoint).header("Accept", "text/html")
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(INITIALIZE)));
    HttpResponse<String> form = send(HttpRequest.newBuilder(endpoint).header("Accept", "application/json")
        .header("Content-Type", "text/plain").POST(HttpRequest.BodyPublishers.ofString(INITIALIZE)));

    assertThat(html.statusCode()).isEqualTo(406);
    assertThat(form.statusCode()).isEqualTo(415);
    assertThat(transport.sessionCount()).isZero();
  }

  @Test
  void bodiesAboveTheLimitAreRefused() throws Exception {
    start(new McpHttpOptions(List.of(), 4096, 10, Duration.ofMinutes(1)));

    HttpResponse<String> response = post("{\"pad\":\"" + "x".repeat(8192) + "\"}", null);

    assertThat(response.statusCode()).isEqualTo(413);
    assertThat(new JsonObject(response.body()).getJsonObject("error").getString("message")).contains("4096");
  }

  @Test
  void idleSessionsEndAndTheLeastRecentlyUsedMakesRoom() throws Exception {
    start(new McpHttpOptions(List.of(), McpHttpOptions.DEFAULT_MAX_BODY_BYTES, 2, Duration.ofMinutes(10)));
    String first = post(INITIALIZE, null).headers().firstValue("Mcp-Session-Id").orElseThrow();
    now.set(now.get().plusSeconds(1));
    String second = post(INITIALIZE, null).headers().firstValue("Mcp-Session-Id").orElseThrow();
    now.set(now.get().plusSeconds(1));
    assertThat(post(PING, first).statusCode()).isEqualTo(200);

    String third = post(INITIALIZE, null).headers().firstValue("Mcp-Session-Id").orElseThrow();

    assertThat(post(PING, second).statusCode()).isEqualTo(404);
    assertThat(post(PING, first).statusCode()).isEqualTo(200);
    now.set(now.get().plus(Duration.ofMinutes(11)));
    assertThat(post(PING, third).statusCode()).isEqualTo(404);
  }

  @Test
  void originCheckAcceptsLoopbackOnlyByDefault() {
    assertThat(McpHttpTransport.originAllowed("http://localhost", McpHttpOptions.DEFAULTS)).isTrue();
    assertThat(McpHttpTransport.originAllowed("http://127.1.2.3:99", McpHttpOptions.DEFAULTS)).isTrue();
    assertThat(McpHttpTransport.originAllowed("http://127.0.0.1.nip.io", McpHttpOptions.DEFAULTS)).isFalse();
    assertThat(McpHttpTransport.originAllowed("chrome-extension://abc", McpHttpOptions.DEFAULTS)).isFalse();
    assertThat(McpHttpTransport.originAllowed("http://[::1", McpHttpOptions.DEFAULTS)).isFalse();
  }

  @Test
  void aSessionBelongsToTheCallerThatOpenedIt() throws Exception {
    start(McpHttpOptions.DEFAULTS);

    HttpResponse<String> initialized = send(request(null).header("X-Test-Caller", "alice")
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(INITIALIZE)));
    String session = initialized.headers().firstValue("Mcp-Session-Id").orElseThrow();

    assertThat(sandbox.owners).containsExactly("alice");
    assertThat(send(request(session).header("X-Test-Caller", "alice").header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(PING))).statusCode()).isEqualTo(200);
    HttpResponse<String> other = send(request(session).header("X-Test-Caller", "mallory")
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(PING)));
    assertThat(other.statusCode()).isEqualTo(404);
    assertThat(send(request(session).DELETE()).statusCode()).as("no caller is not alice either").isEqualTo(404);
    assertThat(transport.sessionCount()).isEqualTo(1);
  }

  private HttpResponse<String> post(String body, String session) throws Exception {
    return send(request(session).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  private HttpRequest.Builder request(String session) {
    HttpRequest.Builder request = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(10))
        .header("Accept", "application/json, text/event-stream");
    if (session != null) {
      request.header("Mcp-Session-Id", session);
    }
    return request;
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
