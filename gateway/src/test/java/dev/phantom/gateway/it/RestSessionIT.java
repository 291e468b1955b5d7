package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.gateway.core.ApiKeys;
import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sessions through the REST mirror under /api/v2/sandboxes: real sandboxes, two API keys. */
class RestSessionIT {

  static final String KEY_A = "pf_rest_session_key_a";
  static final String KEY_B = "pf_rest_session_key_b";
  static final int MAX_BODY = 1 << 20;
  private static EmbeddedMesh mesh;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    SandboxHost.assumeBubblewrap();
    Path stateDir = Files.createTempDirectory("phantom-rest-session-it");
    mesh = EmbeddedMesh.start(new JsonObject()
        .put("gateway", new JsonObject().put("rateLimitPerSecond", 0).put("maxMessageBytes", MAX_BODY)
            .put("apiKeys", new JsonArray()
                .add(new JsonObject().put("name", "alice").put("sha256", ApiKeys.sha256Hex(KEY_A)))
                .add(new JsonObject().put("name", "bob").put("sha256", ApiKeys.sha256Hex(KEY_B)))))
        .put("zygote", new JsonObject().put("stateDir", stateDir.toString())));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void anAgentWritesTestsRunsThemStartsAServerAndQueriesIt() throws Exception {
    HttpResponse<String> created = send(KEY_A, "POST", "/sandboxes",
        "{\"profile\": \"python-dev\", \"labels\": {\"task\": \"rest-story\"}}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
    JsonObject box = new JsonObject(created.body());
    String id = box.getString("id");
    String base = "/sandboxes/" + id;
    assertThat(box.getString("state")).isEqualTo("SANDBOX_STATE_READY");
    assertThat(id).startsWith(box.getString("nodeId") + ".");
    try {
      HttpResponse<String> wrote = send(KEY_A, "PUT", base + "/files", new JsonObject().put("files", new JsonArray()
          .add(file("calc.py", "def add(a, b):\n    return a + b\n"))
          .add(file("tests/test_calc.py", "import unittest\nimport sys\nsys.path.insert(0, '/workspace')\n"
              + "from calc import add\n\nclass T(unittest.TestCase):\n    def test_add(self):\n"
              + "        self.assertEqual(add(2, 3), 5)\n"))).encode());
      assertThat(wrote.statusCode()).as(wrote.body()).isEqualTo(200);

      JsonObject tests = exec(KEY_A, id, "python3", "-m", "unittest", "discover", "-s", "tests", "-v");
      assertThat(tests.getString("status")).isEqualTo("RUN_STATUS_OK");
      assertThat(tests.getInteger("exitCode", 0)).isZero();
      assertThat(decode(tests.getString("stderr"))).contains("test_add", "OK");

      JsonObject server = exec(KEY_A, id, "sh", "-c", "python3 -m http.server 8000 --bind 127.0.0.1 >/tmp/server.log 2>&1 &");
      assertThat(server.getInteger("exitCode", 0)).isZero();
      JsonObject query = exec(KEY_A, id, "python3", "-c", "import time, urllib.request\n"
          + "for i in range(50):\n"
          + "    try:\n"
          + "        print(urllib.request.urlopen('http://127.0.0.1:8000/').status); break\n"
          + "    except OSError:\n"
          + "        time.sleep(0.1)\n");
      assertThat(decode(query.getString("stdout"))).isEqualTo("200\n");

      JsonObject echoed = new JsonObject(ok(send(KEY_A, "POST", base + "/exec", new JsonObject()
          .put("argv", new JsonArray().add("cat")).put("stdin", b64("fed in")).encode())).body());
      assertThat(decode(echoed.getString("stdout"))).isEqualTo("fed in");

      JsonArray listed = new JsonObject(ok(send(KEY_A, "GET", "/sandboxes?label.task=rest-story", null)).body())
          .getJsonArray("sandboxes");
      assertThat(listed.stream().map(s -> ((JsonObject) s).getString("id"))).containsExactly(id);
      assertThat(new JsonObject(ok(send(KEY_A, "GET", "/sandboxes?label.task=other", null)).body())
          .getJsonArray("sandboxes", new JsonArray())).isEmpty();
      assertThat(new JsonObject(ok(send(KEY_A, "GET", base, null)).body()).getString("id")).isEqualTo(id);

      HttpResponse<byte[]> content = sendBytes(KEY_A, "GET", base + "/files/content?path=calc.py", null);
      assertThat(content.statusCode()).isEqualTo(200);
      assertThat(content.headers().firstValue("content-type")).contains("application/octet-stream");
      assertThat(new String(content.body(), StandardCharsets.UTF_8)).startsWith("def add");
      assertError(send(KEY_A, "GET", base + "/files/content?path=missing.txt", null), 404, "NOT_FOUND");

      ok(send(KEY_A, "POST", base + "/directories", "{\"paths\": [\"build/out\"], \"mode\": 488}"));
      JsonArray files = new JsonObject(ok(send(KEY_A, "GET", base + "/files?recursive=true", null)).body())
          .getJsonArray("files");
      assertThat(files.stream().map(f -> ((JsonObject) f).getString("path")))
          .contains("calc.py", "tests/test_calc.py", "build", "build/out");
      ok(send(KEY_A, "DELETE", base + "/files?path=build&path=calc.py&recursive=true", null));
      JsonArray after = new JsonObject(ok(send(KEY_A, "GET", base + "/files", null)).body())
          .getJsonArray("files", new JsonArray());
      assertThat(after.stream().map(f -> ((JsonObject) f).getString("path"))).doesNotContain("calc.py", "build")
          .contains("tests");

      HttpResponse<byte[]> archive = sendBytes(KEY_A, "GET", base + "/archive?path=tests", null);
      assertThat(archive.statusCode()).isEqualTo(200);
      assertThat(archive.headers().firstValue("content-type")).contains("application/x-tar");
      assertThat(archive.body().length).isPositive();
      HttpResponse<byte[]> uploaded = sendBytes(KEY_A, "PUT", base + "/archive?path=copy", archive.body());
      assertThat(uploaded.statusCode()).as(new String(uploaded.body(), StandardCharsets.UTF_8)).isEqualTo(200);
      JsonObject unpacked = new JsonObject(new String(uploaded.body(), StandardCharsets.UTF_8));
      assertThat(Long.parseLong(unpacked.getString("bytes"))).isEqualTo(archive.body().length);
      assertThat(unpacked.getInteger("files")).isPositive();
      assertThat(new String(sendBytes(KEY_A, "GET", base + "/files/content?path=copy/test_calc.py", null).body(),
          StandardCharsets.UTF_8)).contains("test_add");

      JsonObject kept = new JsonObject(ok(send(KEY_A, "POST", base + "/keepalive", null)).body());
      assertThat(kept.getString("idleDeadline")).isNotBlank();
    } finally {
      ok(send(KEY_A, "DELETE", base, null));
    }
    // Documented: an exec in a destroyed (stopped) sandbox is FAILED_PRECONDITION, HTTP 400.
    assertError(send(KEY_A, "POST", base + "/exec", "{\"argv\": [\"true\"]}"), 400, "FAILED_PRECONDITION");
    JsonObject stopped = new JsonObject(ok(send(KEY_A, "GET", base, null)).body());
    assertThat(stopped.getString("state")).isEqualTo("SANDBOX_STATE_STOPPED");
    assertThat(stopped.getString("stopReason")).isEqualTo("destroyed");
  }

  @Test
  void execStreamsServerSentEventsAndADisconnectKillsTheCommand() throws Exception {
    String id = create(KEY_A, "minimal");
    try {
      HttpResponse<String> streamed = HTTP.send(request(KEY_A, "/sandboxes/" + id + "/exec")
              .header("accept", "text/event-stream")
              .POST(HttpRequest.BodyPublishers.ofString("{\"argv\": [\"sh\", \"-c\", \"echo one; echo two >&2\"]}"))
              .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(streamed.statusCode()).isEqualTo(200);
      assertThat(streamed.headers().firstValue("content-type")).contains("text/event-stream");
      assertThat(streamed.body()).contains("event: output\ndata: {").contains(b64("one\n")).contains(b64("two\n"));
      assertThat(streamed.body().strip()).matches("(?s).*event: exit\ndata: \\{[^\n]*\"exitCode\":0[^\n]*}$");

      HttpResponse<InputStream> long_ = HTTP.send(request(KEY_A, "/sandboxes/" + id + "/exec")
          .header("accept", "text/event-stream")
          .POST(HttpRequest.BodyPublishers.ofString("{\"argv\": [\"sh\", \"-c\", \"echo go; exec sleep 317\"]}"))
          .build(), HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream body = long_.body()) {
        BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
        assertThat(lines.readLine()).isEqualTo("event: output");
        assertThat(SessionIT.processesMentioning("sleep\u0000317")).isNotEmpty();
      }
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (!SessionIT.processesMentioning("sleep\u0000317").isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(SessionIT.processesMentioning("sleep\u0000317")).isEmpty();
      assertThat(exec(KEY_A, id, "true").getString("status")).isEqualTo("RUN_STATUS_OK");
    } finally {
      send(KEY_A, "DELETE", "/sandboxes/" + id, null);
    }
  }

  @Test
  void anotherKeyNeitherSeesNorTouchesTheSandbox() throws Exception {
    String id = create(KEY_A, "minimal");
    String base = "/sandboxes/" + id;
    try {
      assertError(send(KEY_B, "GET", base, null), 404, "NOT_FOUND");
      assertError(send(KEY_B, "POST", base + "/exec", "{\"argv\": [\"true\"]}"), 404, "NOT_FOUND");
      assertError(send(KEY_B, "POST", base + "/keepalive", null), 404, "NOT_FOUND");
      assertError(send(KEY_B, "PUT", base + "/files", "{\"files\": [{\"path\": \"x\", \"content\": \"\"}]}"), 404,
          "NOT_FOUND");
      assertError(send(KEY_B, "GET", base + "/files", null), 404, "NOT_FOUND");
      assertError(send(KEY_B, "GET", base + "/files/content?path=x", null), 404, "NOT_FOUND");
      assertError(send(KEY_B, "GET", base + "/archive", null), 404, "NOT_FOUND");
      assertError(send(KEY_B, "DELETE", base, null), 404, "NOT_FOUND");
      JsonArray bobs = new JsonObject(ok(send(KEY_B, "GET", "/sandboxes", null)).body())
          .getJsonArray("sandboxes", new JsonArray());
      assertThat(bobs.stream().map(s -> ((JsonObject) s).getString("id"))).doesNotContain(id);
      assertThat(new JsonObject(ok(send(KEY_A, "GET", base, null)).body()).getString("state"))
          .isEqualTo("SANDBOX_STATE_READY");
      assertError(send(null, "GET", base, null), 401, "UNAUTHENTICATED");
    } finally {
      ok(send(KEY_A, "DELETE", base, null));
    }
  }

  @Test
  void badRequestsAreJsonErrors() throws Exception {
    assertError(send(KEY_A, "POST", "/sandboxes", "{not json"), 400, "INVALID_ARGUMENT");
    assertError(send(KEY_A, "POST", "/sandboxes", "{\"profile\": \"minimal\", \"surprise\": 1}"), 400,
        "INVALID_ARGUMENT");
    assertError(send(KEY_A, "POST", "/sandboxes", "{}"), 400, "INVALID_ARGUMENT");
    assertError(send(KEY_A, "GET", "/sandboxes/nope", null), 404, "NOT_FOUND");
    String id = create(KEY_A, "minimal");
    try {
      String unknown = id.substring(0, id.lastIndexOf('.') + 1) + "a".repeat(26);
      assertError(send(KEY_A, "POST", "/sandboxes/" + unknown + "/exec", "{\"argv\": [\"true\"]}"), 404, "NOT_FOUND");
      assertError(send(KEY_A, "GET", "/sandboxes/" + unknown, null), 404, "NOT_FOUND");
      assertError(send(KEY_A, "POST", "/sandboxes/" + id + "/exec", "{\"argv\": [\"true\"], \"stdin\": \"%%%\"}"), 400,
          "INVALID_ARGUMENT");
      assertError(send(KEY_A, "POST", "/sandboxes/" + id + "/exec", "[1]"), 400, "INVALID_ARGUMENT");
      assertError(send(KEY_A, "DELETE", "/sandboxes/" + id + "/files", null), 400, "INVALID_ARGUMENT");
      String big = "{\"files\": [{\"path\": \"big\", \"content\": \"" + "A".repeat(MAX_BODY + 1024) + "\"}]}";
      assertError(send(KEY_A, "PUT", "/sandboxes/" + id + "/files", big), 413, "RESOURCE_EXHAUSTED");
    } finally {
      ok(send(KEY_A, "DELETE", "/sandboxes/" + id, null));
    }
  }

  @Test
  void theOpenApiDocumentDescribesTheSessionPaths() throws Exception {
    JsonObject doc = new JsonObject(ok(send(null, "GET", "/openapi.json", null)).body());
    assertThat(doc.getJsonObject("paths").fieldNames()).contains("/sandboxes", "/sandboxes/{id}",
        "/sandboxes/{id}/exec", "/sandboxes/{id}/files", "/sandboxes/{id}/files/content", "/sandboxes/{id}/archive",
        "/sandboxes/{id}/directories", "/sandboxes/{id}/keepalive");
  }

  private static String create(String key, String profile) throws Exception {
    return new JsonObject(ok(send(key, "POST", "/sandboxes", "{\"profile\": \"" + profile + "\"}")).body())
        .getString("id");
  }

  private static JsonObject exec(String key, String id, String... argv) throws Exception {
    HttpResponse<String> response = send(key, "POST", "/sandboxes/" + id + "/exec",
        new JsonObject().put("argv", new JsonArray(List.of((Object[]) argv))).encode());
    return new JsonObject(ok(response).body());
  }

  private static JsonObject file(String path, String content) {
    return new JsonObject().put("path", path).put("content", b64(content));
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String decode(String base64) {
    return base64 == null ? "" : new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }

  private static HttpResponse<String> ok(HttpResponse<String> response) {
    assertThat(response.statusCode()).as(response.request().method() + " " + response.uri() + ": " + response.body())
        .isEqualTo(200);
    return response;
  }

  private static void assertError(HttpResponse<String> response, int code, String status) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(code);
    assertThat(response.headers().firstValue("content-type")).contains("application/json");
    JsonObject error = new JsonObject(response.body()).getJsonObject("error");
    assertThat(error.getString("status")).isEqualTo(status);
    assertThat(error.getString("message")).isNotBlank();
  }

  private static HttpRequest.Builder request(String key, String path) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mesh.httpPort + "/api/v2" + path));
    return key == null ? builder : builder.header("authorization", "Bearer " + key);
  }

  static HttpResponse<String> send(String key, String method, String path, String body) throws Exception {
    return HTTP.send(request(key, path).header("content-type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<byte[]> sendBytes(String key, String method, String path, byte[] body) throws Exception {
    return HTTP.send(request(key, path).header("content-type", "application/x-tar")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body))
        .build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
