package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code phantom mcp} as an LLM client starts it: JSON lines on its stdin and stdout, real sandboxes. */
class McpStdioIT {

  @BeforeAll
  static void needsSandboxes() {
    SandboxHost.assumeBubblewrap();
  }

  @Test
  void aClientSessionFromInitializeToEndOfInput() throws Exception {
    ProcessBuilder builder = new ProcessBuilder(LauncherProcess.LAUNCHER.toString(), "mcp");
    // The build that runs this test has just packaged the distribution: do not rebuild from inside it.
    builder.environment().put("PHANTOM_NO_BUILD", "1");
    builder.environment().remove("PHANTOM_GATEWAY");
    Process process = builder.start();
    BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
    List<String> stderr = new CopyOnWriteArrayList<>();
    pump(process, stdout, stderr);
    try (OutputStream stdin = process.getOutputStream()) {
      JsonObject initialize = exchange(stdin, stdout, stderr, new JsonObject().put("jsonrpc", "2.0").put("id", 1)
          .put("method", "initialize").put("params", new JsonObject().put("protocolVersion", "2025-06-18")
              .put("capabilities", new JsonObject())
              .put("clientInfo", new JsonObject().put("name", "McpStdioIT").put("version", "1"))));
      assertThat(initialize.getJsonObject("result").getString("protocolVersion")).isEqualTo("2025-06-18");
      assertThat(initialize.getJsonObject("result").getJsonObject("serverInfo").getString("name"))
          .isEqualTo("phantom-fragment");

      write(stdin, new JsonObject().put("jsonrpc", "2.0").put("method", "notifications/initialized"));

      JsonObject list = exchange(stdin, stdout, stderr, new JsonObject().put("jsonrpc", "2.0").put("id", 2)
          .put("method", "tools/list"));
      JsonArray tools = list.getJsonObject("result").getJsonArray("tools");
      assertThat(tools.stream().map(tool -> ((JsonObject) tool).getString("name")))
          .containsExactly("run_code", "run_command", "list_profiles", "create_sandbox", "execute_command",
              "write_file", "read_file", "list_files", "destroy_sandbox", "snapshot_sandbox");

      JsonObject call = exchange(stdin, stdout, stderr, toolCall(3, new JsonObject().put("command", "echo hi")));
      JsonObject result = call.getJsonObject("result");
      assertThat(result.getBoolean("isError")).as("%s", call).isFalse();
      assertThat(result.getJsonArray("content").getJsonObject(0).getString("text"))
          .isEqualTo("exit code 0\n--- stdout ---\nhi\n--- stderr ---\n(empty)");
      assertThat(result.getJsonObject("structuredContent").getString("stdout")).isEqualTo("hi\n");
      assertThat(result.getJsonObject("structuredContent").getInteger("exit_code")).isZero();

      JsonObject unknownProfile = exchange(stdin, stdout, stderr,
          toolCall(4, new JsonObject().put("profile", "nope").put("argv", new JsonArray().add("true"))));
      assertThat(unknownProfile.getJsonObject("result").getBoolean("isError")).isTrue();
      assertThat(unknownProfile.getJsonObject("result").getJsonArray("content").getJsonObject(0).getString("text"))
          .startsWith("NOT_FOUND: ").contains("nope", "minimal");
    }
    // End of input: the server answers what it owes, shuts the mesh down and exits 0.
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("exited; stderr: %s", stderr).isTrue();
    assertThat(process.exitValue()).as("stderr: %s", stderr).isZero();
    Thread.sleep(100);
    assertThat(stdout).as("nothing but protocol messages on stdout").isEmpty();
  }

  private static JsonObject toolCall(int id, JsonObject arguments) {
    return new JsonObject().put("jsonrpc", "2.0").put("id", id).put("method", "tools/call")
        .put("params", new JsonObject().put("name", "run_command").put("arguments", arguments));
  }

  private static JsonObject exchange(OutputStream stdin, BlockingQueue<String> stdout, List<String> stderr,
      JsonObject request) throws Exception {
    write(stdin, request);
    String line = stdout.poll(60, TimeUnit.SECONDS);
    assertThat(line).as("a response to %s; stderr: %s", request, stderr).isNotNull();
    JsonObject response = new JsonObject(line);
    assertThat(response.getString("jsonrpc")).isEqualTo("2.0");
    assertThat(response.getValue("id")).isEqualTo(request.getValue("id"));
    return response;
  }

  private static void write(OutputStream stdin, JsonObject message) throws IOException {
    stdin.write((message.encode() + "\n").getBytes(StandardCharsets.UTF_8));
    stdin.flush();
  }

  private static void pump(Process process, BlockingQueue<String> stdout, List<String> stderr) {
    Thread.ofPlatform().daemon().start(() -> {
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        reader.lines().forEach(stdout::add);
      } catch (IOException e) {
        // The process is gone.
      }
    });
    Thread.ofPlatform().daemon().start(() -> {
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
        reader.lines().forEach(stderr::add);
      } catch (IOException e) {
        // The process is gone.
      }
    });
  }
}
