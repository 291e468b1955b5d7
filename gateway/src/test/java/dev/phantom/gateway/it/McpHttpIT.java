package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** MCP over Streamable HTTP at /mcp on the embedded gateway, with real sandboxes. */
class McpHttpIT {

  private static EmbeddedMesh mesh;
  private static URI endpoint;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    SandboxHost.assumeBubblewrap();
    mesh = EmbeddedMesh.start();
    endpoint = URI.create("http://127.0.0.1:" + mesh.httpPort + "/mcp");
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void aSessionRunsCommandsInSandboxesUntilItIsDeleted() throws Exception {
    HttpResponse<String> initialized = post(null, new JsonObject().put("jsonrpc", "2.0").put("id", 1)
        .put("method", "initialize").put("params", new JsonObject().put("protocolVersion", "2025-11-25")
            .put("capabilities", new JsonObject())
            .put("clientInfo", new JsonObject().put("name", "McpHttpIT").put("version", "1"))));
    assertThat(initialized.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(initialized.body()).getJsonObject("result").getString("protocolVersion"))
        .isEqualTo("2025-11-25");
    String session = initialized.headers().firstValue("Mcp-Session-Id").orElseThrow();

    HttpResponse<String> notified = post(session, new JsonObject().put("jsonrpc", "2.0")
        .put("method", "notifications/initialized"));
    assertThat(notified.statusCode()).isEqualTo(202);

    // Two calls at once in one session: each answered on its own request.
    CompletableFuture<HttpResponse<String>> first = postAsync(session, toolCall(2,
        new JsonObject().put("command", "sleep 0.3; echo marker-$((40+2))")));
    CompletableFuture<HttpResponse<String>> second = postAsync(session, toolCall(3,
        new JsonObject().put("argv", new JsonArray().add("sh").add("-c").add("echo oops >&2; exit 5"))));

    JsonObject marker = result(first.get());
    assertThat(marker.getBoolean("isError")).as("%s", marker).isFalse();
    assertThat(marker.getJsonObject("structuredContent").getString("stdout")).isEqualTo("marker-42\n");
    assertThat(marker.getJsonArray("content").getJsonObject(0).getString("text")).contains("marker-42");
    JsonObject failing = result(second.get());
    assertThat(failing.getBoolean("isError")).isFalse();
    assertThat(failing.getJsonObject("structuredContent").getInteger("exit_code")).isEqualTo(5);
    assertThat(failing.getJsonObject("structuredContent").getString("stderr")).isEqualTo("oops\n");

    JsonObject timedOut = result(post(session, toolCall(4,
        new JsonObject().put("command", "sleep 30").put("timeout_seconds", 0.5))));
    assertThat(timedOut.getBoolean("isError")).isTrue();
    assertThat(timedOut.getJsonObject("structuredContent").getString("status")).isEqualTo("timeout");

    JsonObject profiles = result(post(session, new JsonObject().put("jsonrpc", "2.0").put("id", 5)
        .put("method", "tools/call").put("params", new JsonObject().put("name", "list_profiles"))));
    assertThat(profiles.getJsonArray("content").getJsonObject(0).getString("text")).contains("minimal", "python-dev");

    HttpResponse<String> deleted = http.send(request(session).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(deleted.statusCode()).isEqualTo(204);
    HttpResponse<String> after = post(session, toolCall(6, new JsonObject().put("command", "true")));
    assertThat(after.statusCode()).isEqualTo(404);
  }

  @Test
  void aForeignOriginIsForbidden() throws Exception {
    HttpResponse<String> response = http.send(request(null).header("Origin", "http://attacker.example")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}")).build(),
        HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(403);
  }

  private static JsonObject toolCall(int id, JsonObject arguments) {
    return new JsonObject().put("jsonrpc", "2.0").put("id", id).put("method", "tools/call")
        .put("params", new JsonObject().put("name", "run_command").put("arguments", arguments));
  }

  private static JsonObject result(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    JsonObject body = new JsonObject(response.body());
    assertThat(body.containsKey("error")).as("%s", body).isFalse();
    return body.getJsonObject("result");
  }

  private HttpResponse<String> post(String session, JsonObject message) throws Exception {
    return postAsync(session, message).get();
  }

  private CompletableFuture<HttpResponse<String>> postAsync(String session, JsonObject message) {
    return http.sendAsync(request(session).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(message.encode())).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest.Builder request(String session) {
    HttpRequest.Builder request = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(60))
        .header("Accept", "application/json, text/event-stream")
        .header("MCP-Protocol-Version", "2025-11-25");
    if (session != null) {
      request.header("Mcp-Session-Id", session);
    }
    return request;
  }
}
