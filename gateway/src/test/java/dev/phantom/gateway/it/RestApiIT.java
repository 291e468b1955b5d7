package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The JSON mirror under /api/v2, readiness, and HTTP errors, against real sandboxes. */
class RestApiIT {

  private static EmbeddedMesh mesh;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    SandboxHost.assumeBubblewrap();
    mesh = EmbeddedMesh.start();
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void runAnswersTheResultAsProtoJson() throws Exception {
    HttpResponse<String> response = post("/api/v2/run",
        "{\"profile\": \"minimal\", \"argv\": [\"sh\", \"-c\", \"echo hi; exit 3\"]}");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject result = new JsonObject(response.body());
    assertThat(result.getString("status")).isEqualTo("RUN_STATUS_OK");
    assertThat(result.getInteger("exitCode")).isEqualTo(3);
    assertThat(new String(Base64.getDecoder().decode(result.getString("stdout")))).isEqualTo("hi\n");
  }

  @Test
  void runStreamSendsServerSentEventsEndingWithTheExit() throws Exception {
    HttpResponse<String> response = post("/api/v2/run/stream",
        "{\"profile\": \"minimal\", \"argv\": [\"sh\", \"-c\", \"echo one; echo two\"]}");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).contains("text/event-stream");
    assertThat(response.body()).contains("event: output\ndata: {");
    assertThat(response.body().strip()).matches("(?s).*event: exit\ndata: \\{[^\n]*\"exitCode\":0[^\n]*}$");
  }

  @Test
  void badRequestsAreJsonErrorsWithTheirStatus() throws Exception {
    assertError(post("/api/v2/run", "{not json"), 400, "INVALID_ARGUMENT");
    assertError(post("/api/v2/run", "{\"profile\": \"minimal\", \"argv\": [\"true\"], \"surprise\": 1}"), 400,
        "INVALID_ARGUMENT");
    assertError(post("/api/v2/run", "{\"profile\": \"minimal\"}"), 400, "INVALID_ARGUMENT");
    assertError(post("/api/v2/run", "{\"profile\": \"nope\", \"argv\": [\"true\"]}"), 404, "NOT_FOUND");
    assertError(post("/api/v2/run-code", "{\"language\": \"cobol\", \"source\": \"x\"}"), 400, "INVALID_ARGUMENT");
    assertError(get("/api/v2/nowhere"), 404, "NOT_FOUND");
  }

  @Test
  void profilesAndTheOpenApiDocumentAreServed() throws Exception {
    HttpResponse<String> profiles = get("/api/v2/profiles");
    HttpResponse<String> openApi = get("/api/v2/openapi.json");

    assertThat(profiles.statusCode()).isEqualTo(200);
    JsonArray names = new JsonObject(profiles.body()).getJsonArray("profiles");
    assertThat(names.stream().map(p -> ((JsonObject) p).getString("name"))).contains("minimal", "python-dev");
    assertThat(openApi.statusCode()).isEqualTo(200);
    JsonObject doc = new JsonObject(openApi.body());
    assertThat(doc.getString("openapi")).startsWith("3.");
    assertThat(doc.getJsonObject("paths").fieldNames()).contains("/run", "/run/stream", "/run-code", "/profiles");
  }

  @Test
  void readyOnceAZygoteNodeCanSpawn() throws Exception {
    HttpResponse<String> ready = get("/ready");

    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(ready.body()).getBoolean("ready")).isTrue();
  }

  private static void assertError(HttpResponse<String> response, int code, String status) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(code);
    JsonObject error = new JsonObject(response.body()).getJsonObject("error");
    assertThat(error.getString("status")).isEqualTo(status);
    assertThat(error.getString("message")).isNotBlank();
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mesh.httpPort + path))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mesh.httpPort + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
