package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real MCP client, the official TypeScript SDK from npm, drives both transports: stdio through
 * {@code phantom mcp}, and Streamable HTTP at {@code /mcp}. .ci/run installs the SDK.
 */
class McpSdkIT {

  private static final Path CLIENT_DIR = Path.of("src", "test", "mcp-sdk").toAbsolutePath();

  @BeforeAll
  static void needsNodeAndTheSdk() {
    SandboxHost.assumeBubblewrap();
    boolean installed = Files.isDirectory(CLIENT_DIR.resolve("node_modules/@modelcontextprotocol/sdk"));
    if (!installed && SandboxHost.mustWork()) {
      fail("the MCP SDK is not installed: run 'npm ci' in " + CLIENT_DIR + " (.ci/run does)");
    }
    assumeTrue(installed, "the MCP SDK is not installed (npm ci in " + CLIENT_DIR + ")");
  }

  @Test
  void theSdkUsesTheStdioServer() throws Exception {
    JsonObject seen = runClient(List.of("stdio", LauncherProcess.LAUNCHER.toString(), "mcp"));
    assertSawTheTools(seen);
  }

  @Test
  void theSdkUsesTheHttpServer() throws Exception {
    try (EmbeddedMesh mesh = EmbeddedMesh.start()) {
      JsonObject seen = runClient(List.of("http", "http://127.0.0.1:" + mesh.httpPort + "/mcp"));
      assertSawTheTools(seen);
    }
  }

  private static void assertSawTheTools(JsonObject seen) {
    assertThat(seen.getJsonObject("server").getString("name")).isEqualTo("phantom-fragment");
    assertThat(seen.getJsonArray("tools").getList()).contains("run_code", "run_command", "list_profiles",
        "create_sandbox", "execute_command", "write_file", "read_file", "list_files", "destroy_sandbox", "snapshot_sandbox");
    assertThat(seen.getJsonObject("command").getBoolean("isError")).isFalse();
    assertThat(seen.getJsonObject("command").getString("text")).contains("sdk-42");
    assertThat(seen.getJsonObject("code").getBoolean("isError")).isFalse();
    assertThat(seen.getJsonObject("code").getString("text")).contains("45");
    assertThat(seen.getJsonObject("failing").getBoolean("isError")).isTrue();
    assertThat(seen.getJsonObject("failing").getString("text")).contains("nope");
    JsonObject session = seen.getJsonObject("session");
    assertThat(session.getString("sandboxId")).as("%s", session).isNotBlank();
    assertThat(session.getJsonObject("created").getBoolean("isError")).isFalse();
    assertThat(session.getJsonObject("first").getBoolean("isError")).as("%s", session).isFalse();
    assertThat(session.getJsonObject("first").getInteger("exitCode")).isZero();
    assertThat(session.getJsonObject("second").getString("stdout")).as("%s", session).isEqualTo("kept-42\n");
    assertThat(session.getJsonObject("destroyed").getBoolean("isError")).isFalse();
    assertThat(session.getJsonObject("afterDestroy").getBoolean("isError")).isTrue();
    assertThat(session.getJsonObject("afterDestroy").getString("text")).contains(session.getString("sandboxId"));
  }

  private static JsonObject runClient(List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of("node", "client.mjs"));
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).directory(CLIENT_DIR.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    builder.environment().put("PHANTOM_NO_BUILD", "1");
    builder.environment().put("PHANTOM_HOME", LauncherProcess.HOME.toString());
    builder.environment().remove("PHANTOM_GATEWAY");
    Path stderr = Files.createTempFile("mcp-sdk", ".err");
    builder.redirectError(stderr.toFile());
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes());
    if (!process.waitFor(Duration.ofMinutes(2).toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      fail("the SDK client did not finish; stderr: " + Files.readString(stderr));
    }
    assertThat(process.exitValue()).as("stderr: %s", Files.readString(stderr)).isZero();
    String last = out.lines().reduce((a, b) -> b).orElse("{}");
    return new JsonObject(last);
  }
}
