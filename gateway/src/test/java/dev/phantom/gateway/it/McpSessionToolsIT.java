package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The session tools with real sandboxes, over both transports: MCP over HTTP (the in-process
 * coordinators) and stdio ({@code phantom mcp}, through the gateway's gRPC API).
 */
class McpSessionToolsIT {

  @BeforeAll
  static void needsSandboxes() {
    SandboxHost.assumeBubblewrap();
  }

  /** Sends one request and returns its JSON-RPC response. */
  @FunctionalInterface
  interface Rpc {
    JsonObject send(JsonObject request) throws Exception;
  }

  @Test
  void aSandboxKeepsFilesAndProcessesOverHttp() throws Exception {
    try (EmbeddedMesh mesh = EmbeddedMesh.start()) {
      URI endpoint = URI.create("http://127.0.0.1:" + mesh.httpPort + "/mcp");
      HttpClient http = HttpClient.newHttpClient();
      String[] session = new String[1];
      Rpc rpc = request -> {
        HttpRequest.Builder builder = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(90))
            .header("Accept", "application/json, text/event-stream").header("Content-Type", "application/json")
            .header("MCP-Protocol-Version", "2025-06-18");
        if (session[0] != null) {
          builder.header("Mcp-Session-Id", session[0]);
        }
        HttpResponse<String> response = http.send(builder.POST(HttpRequest.BodyPublishers.ofString(request.encode()))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        response.headers().firstValue("Mcp-Session-Id").ifPresent(id -> session[0] = id);
        return new JsonObject(response.body());
      };
      scenario(rpc);
    }
  }

  @Test
  void aSandboxCreatedOverMcpIsNotFoundForAnotherCaller() throws Exception {
    String mcpKey = "pf_test_mcp_owner";
    String grpcKey = "pf_test_grpc_owner";
    io.vertx.core.json.JsonObject keys = new io.vertx.core.json.JsonObject().put("gateway", new io.vertx.core.json.JsonObject()
        .put("apiKeys", new io.vertx.core.json.JsonArray()
            .add(new io.vertx.core.json.JsonObject().put("name", "mcp-user")
                .put("sha256", dev.phantom.gateway.core.ApiKeys.sha256Hex(mcpKey)))
            .add(new io.vertx.core.json.JsonObject().put("name", "grpc-user")
                .put("sha256", dev.phantom.gateway.core.ApiKeys.sha256Hex(grpcKey)))));
    try (EmbeddedMesh mesh = EmbeddedMesh.start(keys)) {
      dev.phantom.gateway.client.SandboxClient grpcUser = new dev.phantom.gateway.client.SandboxClient(
          mesh.node.mesh().vertx(), io.vertx.core.net.SocketAddress.inetSocketAddress(mesh.grpcPort, "127.0.0.1"), grpcKey);
      URI endpoint = URI.create("http://127.0.0.1:" + mesh.httpPort + "/mcp");
      HttpClient http = HttpClient.newHttpClient();
      String[] session = new String[1];
      Rpc rpc = request -> {
        HttpRequest.Builder builder = HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(90))
            .header("Accept", "application/json, text/event-stream").header("Content-Type", "application/json")
            .header("Authorization", "Bearer " + mcpKey);
        if (session[0] != null) {
          builder.header("Mcp-Session-Id", session[0]);
        }
        HttpResponse<String> response = http.send(builder.POST(HttpRequest.BodyPublishers.ofString(request.encode()))
            .build(), HttpResponse.BodyHandlers.ofString());
        response.headers().firstValue("Mcp-Session-Id").ifPresent(id -> session[0] = id);
        return new JsonObject(response.body());
      };
      rpc.send(new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "initialize")
          .put("params", new JsonObject().put("protocolVersion", "2025-06-18")));
      String id = call(rpc, 2, "create_sandbox", new JsonObject()).getJsonObject("structuredContent")
          .getString("sandbox_id");
      try {
        // Another key's caller, over gRPC, does not find the MCP caller's sandbox.
        assertThatThrownBy(() -> EmbeddedMesh.await(grpcUser.exec(dev.phantom.api.v1.ExecStart.newBuilder()
            .setSandboxId(id).addArgv("true").build())))
            .isInstanceOfSatisfying(dev.phantom.support.PhantomException.class,
                refused -> assertThat(refused.status()).isEqualTo(io.vertx.grpc.common.GrpcStatus.NOT_FOUND));
        // And the other way round: a sandbox of the gRPC caller is not found over MCP.
        dev.phantom.api.v1.Sandbox theirs = EmbeddedMesh.await(grpcUser.createSandbox(
            dev.phantom.api.v1.CreateSandboxRequest.newBuilder().setProfile("minimal").build()));
        JsonObject foreign = call(rpc, 3, "execute_command", new JsonObject().put("sandbox_id", theirs.getId())
            .put("command", "true"));
        assertThat(foreign.getBoolean("isError")).isTrue();
        assertThat(text(foreign)).startsWith("NOT_FOUND: ");
        dev.phantom.api.v1.RunResult own = EmbeddedMesh.await(grpcUser.exec(dev.phantom.api.v1.ExecStart.newBuilder()
            .setSandboxId(theirs.getId()).addArgv("sh").addArgv("-c").addArgv("echo mine; echo err >&2").build()));
        assertThat(own.getStdout().toStringUtf8()).isEqualTo("mine\n");
        assertThat(own.getStderr().toStringUtf8()).isEqualTo("err\n");
        EmbeddedMesh.await(grpcUser.destroySandbox(theirs.getId()));
      } finally {
        call(rpc, 4, "destroy_sandbox", new JsonObject().put("sandbox_id", id));
      }
    }
  }

  @Test
  void aSandboxKeepsFilesAndProcessesOverStdio() throws Exception {
    ProcessBuilder builder = new ProcessBuilder(LauncherProcess.LAUNCHER.toString(), "mcp");
    builder.environment().put("PHANTOM_NO_BUILD", "1");
    builder.environment().remove("PHANTOM_GATEWAY");
    Process process = builder.start();
    BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
    List<String> stderr = new CopyOnWriteArrayList<>();
    pump(process.getInputStream(), stdout::add);
    pump(process.getErrorStream(), stderr::add);
    try (OutputStream stdin = process.getOutputStream()) {
      Rpc rpc = request -> {
        stdin.write((request.encode() + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
        String line = stdout.poll(90, TimeUnit.SECONDS);
        assertThat(line).as("a response to %s; stderr: %s", request, stderr).isNotNull();
        return new JsonObject(line);
      };
      scenario(rpc);
    } finally {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
    assertThat(process.exitValue()).as("stderr: %s", stderr).isZero();
  }

  private static void scenario(Rpc rpc) throws Exception {
    JsonObject initialized = rpc.send(new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "initialize")
        .put("params", new JsonObject().put("protocolVersion", "2025-06-18").put("capabilities", new JsonObject())
            .put("clientInfo", new JsonObject().put("name", "McpSessionToolsIT").put("version", "1"))));
    assertThat(initialized.getJsonObject("result").getString("protocolVersion")).isEqualTo("2025-06-18");

    JsonObject created = call(rpc, 2, "create_sandbox", new JsonObject().put("profile", "python-dev")
        .put("ttl_seconds", 300));
    assertThat(created.getBoolean("isError")).as("%s", created).isFalse();
    String id = created.getJsonObject("structuredContent").getString("sandbox_id");
    assertThat(id).isNotBlank();
    assertThat(created.getJsonObject("structuredContent").getLong("idle_timeout_seconds")).isEqualTo(300L);
    assertThat(text(created)).contains(id);
    try {
      JsonObject written = call(rpc, 3, "write_file", new JsonObject().put("sandbox_id", id).put("path", "main.py")
          .put("content", "import sys\nprint('hello from', sys.argv[0])\nprint('to stderr', file=sys.stderr)\n"));
      assertThat(written.getBoolean("isError")).as("%s", written).isFalse();

      JsonObject ran = call(rpc, 4, "execute_command", new JsonObject().put("sandbox_id", id)
          .put("command", "python3 main.py"));
      assertThat(ran.getBoolean("isError")).as("%s", ran).isFalse();
      assertThat(ran.getJsonObject("structuredContent").getInteger("exit_code")).isZero();
      assertThat(ran.getJsonObject("structuredContent").getString("stdout")).isEqualTo("hello from main.py\n");
      assertThat(ran.getJsonObject("structuredContent").getString("stderr")).isEqualTo("to stderr\n");
      assertThat(text(ran)).startsWith("exit code 0\n--- stdout ---\nhello from main.py");

      JsonObject failed = call(rpc, 5, "execute_command", new JsonObject().put("sandbox_id", id)
          .put("command", "echo nope >&2; exit 3"));
      assertThat(failed.getBoolean("isError")).isFalse();
      assertThat(failed.getJsonObject("structuredContent").getInteger("exit_code")).isEqualTo(3);
      assertThat(failed.getJsonObject("structuredContent").getString("stderr")).isEqualTo("nope\n");

      // A server started in one call still answers in the next.
      JsonObject server = call(rpc, 6, "execute_command", new JsonObject().put("sandbox_id", id)
          .put("command", "python3 -m http.server 8000 --bind 127.0.0.1 >/tmp/server.log 2>&1 & echo started"));
      assertThat(server.getBoolean("isError")).as("%s", server).isFalse();
      assertThat(server.getJsonObject("structuredContent").getString("stdout")).isEqualTo("started\n");
      JsonObject queried = call(rpc, 7, "execute_command", new JsonObject().put("sandbox_id", id)
          .put("timeout_seconds", 30)
          .put("command", "python3 -c \"import time, urllib.request\n"
              + "for i in range(100):\n"
              + "    try:\n"
              + "        print(urllib.request.urlopen('http://127.0.0.1:8000/main.py').read().decode().splitlines()[0]); break\n"
              + "    except OSError: time.sleep(0.1)\n\""));
      assertThat(queried.getBoolean("isError")).as("%s", queried).isFalse();
      assertThat(queried.getJsonObject("structuredContent").getString("stdout")).isEqualTo("import sys\n");

      JsonObject read = call(rpc, 8, "read_file", new JsonObject().put("sandbox_id", id).put("path", "main.py"));
      assertThat(read.getBoolean("isError")).as("%s", read).isFalse();
      assertThat(read.getJsonObject("structuredContent").getString("content")).startsWith("import sys\n");

      call(rpc, 9, "execute_command", new JsonObject().put("sandbox_id", id).put("command", "mkdir -p data && echo x > data/a.txt"));
      JsonObject listed = call(rpc, 10, "list_files", new JsonObject().put("sandbox_id", id));
      assertThat(listed.getBoolean("isError")).as("%s", listed).isFalse();
      JsonArray files = listed.getJsonObject("structuredContent").getJsonArray("files");
      assertThat(files.stream().map(f -> ((JsonObject) f).getString("path"))).contains("main.py", "data");
      JsonObject sub = call(rpc, 11, "list_files", new JsonObject().put("sandbox_id", id).put("path", "data"));
      assertThat(sub.getJsonObject("structuredContent").getJsonArray("files").stream()
          .map(f -> ((JsonObject) f).getString("path"))).anyMatch(p -> p.endsWith("a.txt"));

      JsonObject nested = call(rpc, 16, "write_file", new JsonObject().put("sandbox_id", id)
          .put("path", "src/util/helper.txt").put("content", "deep\n"));
      assertThat(nested.getBoolean("isError")).as("%s", nested).isFalse();
      assertThat(call(rpc, 17, "read_file", new JsonObject().put("sandbox_id", id).put("path", "src/util/helper.txt"))
          .getJsonObject("structuredContent").getString("content")).isEqualTo("deep\n");

      JsonObject missing = call(rpc, 12, "read_file", new JsonObject().put("sandbox_id", id).put("path", "nope.txt"));
      assertThat(missing.getBoolean("isError")).isTrue();
    } finally {
      JsonObject destroyed = call(rpc, 13, "destroy_sandbox", new JsonObject().put("sandbox_id", id));
      assertThat(destroyed.getBoolean("isError")).as("%s", destroyed).isFalse();
    }

    JsonObject gone = call(rpc, 14, "execute_command", new JsonObject().put("sandbox_id", id).put("command", "true"));
    // Destroyed: the node may still remember it for a while (FAILED_PRECONDITION) before it is NOT_FOUND.
    assertThat(gone.getBoolean("isError")).isTrue();
    assertThat(text(gone)).containsAnyOf("NOT_FOUND: ", "FAILED_PRECONDITION: ").contains(id);

    JsonObject oneOff = call(rpc, 15, "execute_command", new JsonObject().put("command", "echo once"));
    assertThat(oneOff.getBoolean("isError")).as("%s", oneOff).isFalse();
    assertThat(oneOff.getJsonObject("structuredContent").getString("stdout")).isEqualTo("once\n");
  }

  private static JsonObject call(Rpc rpc, int id, String tool, JsonObject arguments) throws Exception {
    JsonObject response = rpc.send(new JsonObject().put("jsonrpc", "2.0").put("id", id).put("method", "tools/call")
        .put("params", new JsonObject().put("name", tool).put("arguments", arguments)));
    assertThat(response.getValue("id")).isEqualTo(id);
    assertThat(response.containsKey("error")).as("%s", response).isFalse();
    return response.getJsonObject("result");
  }

  private static String text(JsonObject result) {
    return result.getJsonArray("content").getJsonObject(0).getString("text");
  }

  private static void pump(java.io.InputStream in, java.util.function.Consumer<String> lines) {
    Thread.ofPlatform().daemon().start(() -> {
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        reader.lines().forEach(lines);
      } catch (IOException e) {
        // The process is gone.
      }
    });
  }
}
