package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Warm slots taken through every public door: gRPC, RunCode, REST, MCP and the CLI; each result says so. */
class WarmPoolIT {

  private static EmbeddedMesh mesh;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    SandboxHost.assumeBubblewrap();
    mesh = EmbeddedMesh.start(new JsonObject().put("zygote", new JsonObject().put("pools", new JsonArray()
        .add(new JsonObject().put("profile", "minimal").put("size", 2))
        .add(new JsonObject().put("profile", "python-dev").put("size", 2)))));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  static void awaitIdle(String profile) {
    mesh.awaitIdleSlot(profile);
  }

  @Test
  void grpcRunTakesAWarmSlotAndSaysSo() throws Exception {
    awaitIdle("minimal");
    RunResult result = mesh.run(EmbeddedMesh.request("minimal", "sh", "-c", "echo warm-$((6*7)); exit 4"));
    assertThat(result.getStatus()).isEqualTo(RunStatus.RUN_STATUS_OK);
    assertThat(result.getWarm()).as("%s", result).isTrue();
    assertThat(result.getExitCode()).isEqualTo(4);
    assertThat(result.getStdout().toStringUtf8()).isEqualTo("warm-42\n");
  }

  @Test
  void runCodePythonRunsInAStartedInterpreter() throws Exception {
    awaitIdle("python-dev");
    RunResult result = EmbeddedMesh.await(mesh.client.runCode(RunCodeRequest.newBuilder().setLanguage("python")
        .setSource("import os, sys\nprint('pid', os.getpid(), sys.argv)\n").build()));
    assertThat(result.getWarm()).as("%s", result).isTrue();
    // The interpreter is the slot's agent, the sandbox's second process: no new process ran the code.
    assertThat(result.getStdout().toStringUtf8()).isEqualTo("pid 2 ['main.py']\n");
  }

  @Test
  void restRunReportsWarmInItsJson() throws Exception {
    awaitIdle("minimal");
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + mesh.httpPort + "/api/v2/run"))
        .header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"profile\": \"minimal\", \"argv\": [\"echo\", \"rest\"]}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject result = new JsonObject(response.body());
    assertThat(result.getBoolean("warm")).as(response.body()).isTrue();
    assertThat(new String(Base64.getDecoder().decode(result.getString("stdout")))).isEqualTo("rest\n");
  }

  @Test
  void mcpRunCommandReportsWarmInItsStructuredContent() throws Exception {
    URI endpoint = URI.create("http://127.0.0.1:" + mesh.httpPort + "/mcp");
    HttpResponse<String> initialized = mcp(endpoint, null, new JsonObject().put("jsonrpc", "2.0").put("id", 1)
        .put("method", "initialize").put("params", new JsonObject().put("protocolVersion", "2025-11-25")
            .put("capabilities", new JsonObject())
            .put("clientInfo", new JsonObject().put("name", "WarmPoolIT").put("version", "1"))));
    String session = initialized.headers().firstValue("Mcp-Session-Id").orElseThrow();
    mcp(endpoint, session, new JsonObject().put("jsonrpc", "2.0").put("method", "notifications/initialized"));
    awaitIdle("python-dev");
    HttpResponse<String> called = mcp(endpoint, session, new JsonObject().put("jsonrpc", "2.0").put("id", 2)
        .put("method", "tools/call").put("params", new JsonObject().put("name", "run_command").put("arguments",
            new JsonObject().put("argv", new JsonArray().add("python3").add("-c").add("print('mcp')")))));
    JsonObject body = new JsonObject(called.body());
    assertThat(body.containsKey("result")).as(called.body()).isTrue();
    JsonObject structured = body.getJsonObject("result").getJsonObject("structuredContent");
    assertThat(structured.getString("stdout")).isEqualTo("mcp\n");
    assertThat(structured.getBoolean("warm")).as("%s", structured).isTrue();
  }

  @Test
  void cliRunVerboseSaysItWasWarm() throws Exception {
    awaitIdle("minimal");
    try (LauncherProcess cli = LauncherProcess.start("run", "--gateway", "127.0.0.1:" + mesh.grpcPort,
        "--profile", "minimal", "-v", "--", "echo", "cli")) {
      assertThat(cli.waitFor(Duration.ofSeconds(60))).isZero();
      assertThat(cli.stdout).containsExactly("cli");
      assertThat(String.join("\n", cli.stderr)).containsPattern(Pattern.compile("phantom: ok, warm slot on node \\S+"));
    }
  }

  @Test
  void aJobLargerThanTheHandoverLimitIsResourceExhaustedOnEitherPath() throws Exception {
    String huge = "x".repeat(300 * 1024);
    awaitIdle("minimal");
    Throwable refused = org.assertj.core.api.Assertions.catchThrowable(
        () -> mesh.run(EmbeddedMesh.request("minimal", "echo", huge)));
    assertThat(refused).isInstanceOf(dev.phantom.support.PhantomException.class).hasMessageContaining("262144-byte limit");
    assertThat(((dev.phantom.support.PhantomException) refused).status())
        .isEqualTo(io.vertx.grpc.common.GrpcStatus.RESOURCE_EXHAUSTED);
    // With limits no slot has, the run is cold, and the limit is the same.
    Throwable cold = org.assertj.core.api.Assertions.catchThrowable(() -> mesh.run(EmbeddedMesh.request("minimal", "echo", huge)
        .toBuilder().setLimits(dev.phantom.api.v1.ResourceLimits.newBuilder().setPids(7)).build()));
    assertThat(((dev.phantom.support.PhantomException) cold).status()).isEqualTo(io.vertx.grpc.common.GrpcStatus.RESOURCE_EXHAUSTED);
  }

  @Test
  void prometheusCountsHitsMissesAndRefillsPerProfile() throws Exception {
    awaitIdle("minimal");
    String before = metrics();
    RunResult warm = mesh.run(EmbeddedMesh.request("minimal", "true"));
    // Limits no slot was made with: the run starts cold, a miss for that reason.
    RunResult cold = mesh.run(EmbeddedMesh.request("minimal", "true").toBuilder()
        .setLimits(dev.phantom.api.v1.ResourceLimits.newBuilder().setPids(7)).build());
    assertThat(warm.getWarm()).isTrue();
    assertThat(cold.getWarm()).isFalse();
    awaitIdle("minimal"); // the taken slot's replacement, timed by the refill timer
    String after = metrics();

    assertThat(sample(after, "phantom_zygote_pool_hits_total", "profile=\"minimal\""))
        .isGreaterThanOrEqualTo(sample(before, "phantom_zygote_pool_hits_total", "profile=\"minimal\"") + 1);
    String limits = "reason=\"limits\"";
    assertThat(sample(after, "phantom_zygote_pool_misses_total", "profile=\"minimal\"", limits))
        .isGreaterThanOrEqualTo(sample(before, "phantom_zygote_pool_misses_total", "profile=\"minimal\"", limits) + 1);
    assertThat(sample(after, "phantom_zygote_pool_refill_seconds_count", "profile=\"minimal\""))
        .isGreaterThan(sample(before, "phantom_zygote_pool_refill_seconds_count", "profile=\"minimal\""));
    assertThat(sample(after, "phantom_zygote_pool_size", "profile=\"minimal\"")).isGreaterThanOrEqualTo(1);
    assertThat(sample(after, "phantom_zygote_pool_target", "profile=\"minimal\"")).isEqualTo(2);
  }

  private static String metrics() throws Exception {
    HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + mesh.httpPort + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.body();
  }

  /** The sum of the samples of {@code name} whose labels include all of {@code labels}; 0 when there is none. */
  private static double sample(String exposition, String name, String... labels) {
    double sum = 0;
    for (String line : exposition.split("\n")) {
      if (line.startsWith(name + "{") && java.util.Arrays.stream(labels).allMatch(line::contains)) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  private static HttpResponse<String> mcp(URI endpoint, String session, JsonObject message) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(message.encode()));
    if (session != null) {
      request.header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2025-11-25");
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
