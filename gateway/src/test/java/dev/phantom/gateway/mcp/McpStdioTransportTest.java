package dev.phantom.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Newline-delimited JSON on streams, with the protocol over a fake. */
@Timeout(10)
class McpStdioTransportTest {

  private static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
      + "\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
  private static final String INITIALIZED = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
  private static final String SLOW_CALL = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\","
      + "\"params\":{\"name\":\"run_command\",\"arguments\":{\"command\":\"sleep 1\"}}}";
  private static final String PING = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}";

  private final FakeSandboxOperations sandbox = new FakeSandboxOperations();

  @Test
  void answersOneLinePerRequestAndNothingForNotifications() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String input = String.join("\n", INITIALIZED.replace("notifications/initialized", "notifications/x"), INITIALIZE,
        INITIALIZED, "", "  ", "not json", PING) + "\n";

    new McpStdioTransport(new McpServer(sandbox), out).serve(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));

    List<JsonObject> lines = lines(out);
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0).getJsonObject("result").getString("protocolVersion")).isEqualTo("2025-06-18");
    assertThat(lines.get(1).getJsonObject("error").getInteger("code")).isEqualTo(JsonRpc.PARSE_ERROR);
    assertThat(lines.get(2).getInteger("id")).isEqualTo(3);
  }

  @Test
  void aSlowCallDoesNotHoldBackLaterMessagesAndEndOfInputWaitsForIt() throws Exception {
    Promise<RunResult> running = sandbox.pending();
    PipedOutputStream client = new PipedOutputStream();
    PipedInputStream in = new PipedInputStream(client, 1 << 16);
    SynchronizedBuffer out = new SynchronizedBuffer();
    Thread serving = Thread.ofPlatform().start(() -> {
      try {
        new McpStdioTransport(new McpServer(sandbox), out).serve(in);
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });

    client.write((INITIALIZE + "\n" + INITIALIZED + "\n" + SLOW_CALL + "\n" + PING + "\n").getBytes(StandardCharsets.UTF_8));
    client.flush();
    while (out.text().lines().count() < 2) {
      Thread.sleep(10);
    }
    assertThat(lines(out.bytes()).get(1).getInteger("id")).isEqualTo(3);
    client.close();
    Thread.sleep(100);
    assertThat(serving.isAlive()).as("still owes the slow call's answer").isTrue();

    running.complete(RunResult.newBuilder().setStatus(RunStatus.RUN_STATUS_OK).setExitCode(0).build());
    serving.join();

    List<JsonObject> lines = lines(out.bytes());
    assertThat(lines).hasSize(3);
    assertThat(lines.get(2).getInteger("id")).isEqualTo(2);
    assertThat(lines.get(2).getJsonObject("result").getBoolean("isError")).isFalse();
  }

  @Test
  void aResponseWithLineBreaksInItsTextStaysOnOneLine() throws IOException {
    sandbox.answering(RunResult.newBuilder().setStatus(RunStatus.RUN_STATUS_OK).setExitCode(0)
        .setStdout(com.google.protobuf.ByteString.copyFromUtf8("a\nb\r\nc\n")).build());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String input = INITIALIZE + "\n" + SLOW_CALL + "\n";

    new McpStdioTransport(new McpServer(sandbox), out).serve(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));

    List<JsonObject> lines = lines(out);
    assertThat(lines).hasSize(2);
    assertThat(lines.get(1).getJsonObject("result").getJsonObject("structuredContent").getString("stdout"))
        .isEqualTo("a\nb\r\nc\n");
  }

  private static List<JsonObject> lines(ByteArrayOutputStream out) {
    return lines(out.toByteArray());
  }

  private static List<JsonObject> lines(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.UTF_8);
    assertThat(text).endsWith("\n");
    return Arrays.stream(text.split("\n")).map(JsonObject::new).toList();
  }

  private static final class SynchronizedBuffer extends OutputStream {
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    @Override
    public synchronized void write(int b) {
      buffer.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
      buffer.write(b, off, len);
    }

    synchronized byte[] bytes() {
      return buffer.toByteArray();
    }

    String text() {
      return new String(bytes(), StandardCharsets.UTF_8);
    }
  }
}
