package dev.phantom.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import dev.phantom.api.v1.Language;
import dev.phantom.api.v1.ListProfilesResponse;
import dev.phantom.api.v1.ProfileInfo;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.api.v1.Timings;
import dev.phantom.api.v1.WorkspaceFile;
import dev.phantom.support.PhantomException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The protocol over a fake {@link dev.phantom.gateway.SandboxOperations} with canned results. */
class McpServerTest {

  private final FakeSandboxOperations sandbox = new FakeSandboxOperations();
  private final McpServer server = new McpServer(sandbox);

  // --- lifecycle ---

  @ParameterizedTest
  @ValueSource(strings = {"2025-11-25", "2025-06-18", "2025-03-26"})
  void initializeAnswersWithTheClientsVersionWhenSupported(String version) {
    JsonObject result = initialize(version).getJsonObject("result");

    assertThat(result.getString("protocolVersion")).isEqualTo(version);
    assertThat(result.getJsonObject("serverInfo").getString("name")).isEqualTo("phantom-fragment");
    assertThat(result.getJsonObject("serverInfo").getString("version")).isEqualTo(McpServer.SERVER_VERSION);
    assertThat(result.getJsonObject("capabilities"))
        .isEqualTo(new JsonObject().put("tools", new JsonObject().put("listChanged", false)));
    assertThat(server.protocolVersion()).isEqualTo(version);
  }

  @Test
  void initializeWithAnUnknownVersionAnswersWithTheLatest() {
    assertThat(initialize("2099-01-01").getJsonObject("result").getString("protocolVersion"))
        .isEqualTo("2025-11-25");
  }

  @Test
  void initializeNeedsAProtocolVersion() {
    JsonObject response = send("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}");

    assertError(response, 1, JsonRpc.INVALID_PARAMS, "protocolVersion");
    assertThat(server.protocolVersion()).isNull();
  }

  @Test
  void initializeTwiceIsRefused() {
    initialize("2025-06-18");

    assertError(initialize("2025-06-18"), 1, JsonRpc.INVALID_REQUEST, "already initialized");
  }

  @Test
  void requestsBeforeInitializeAreRefusedButPingIsAnswered() {
    assertError(send(request(7, "tools/list", null)), 7, JsonRpc.INVALID_REQUEST, "initialize");
    assertError(send(request(8, "tools/call", new JsonObject().put("name", "list_profiles"))), 8,
        JsonRpc.INVALID_REQUEST, "initialize");
    assertThat(send(request(9, "ping", null)).getJsonObject("result")).isEqualTo(new JsonObject());
  }

  @Test
  void notificationsAndClientResponsesGetNoAnswer() {
    initialize("2025-06-18");

    assertThat(send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}")).isNull();
    assertThat(send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":3}}"))
        .isNull();
    assertThat(send("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/whatever\"}")).isNull();
    assertThat(send("{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{}}")).isNull();
  }

  // --- bad JSON-RPC ---

  static Stream<Arguments> badMessages() {
    return Stream.of(
        Arguments.of("not json", null, JsonRpc.PARSE_ERROR, "Parse error"),
        Arguments.of("{\"jsonrpc\":\"2.0\",", null, JsonRpc.PARSE_ERROR, "Parse error"),
        Arguments.of("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]", null, JsonRpc.INVALID_REQUEST, "batches"),
        Arguments.of("[]", null, JsonRpc.INVALID_REQUEST, "batches"),
        Arguments.of("42", null, JsonRpc.INVALID_REQUEST, "JSON object"),
        Arguments.of("{\"id\":1,\"method\":\"ping\"}", 1, JsonRpc.INVALID_REQUEST, "\"2.0\""),
        Arguments.of("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}", 1, JsonRpc.INVALID_REQUEST, "\"2.0\""),
        Arguments.of("{\"jsonrpc\":\"2.0\",\"id\":1}", 1, JsonRpc.INVALID_REQUEST, "\"method\" is missing"),
        Arguments.of("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", 1, JsonRpc.INVALID_REQUEST, "string"),
        Arguments.of("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}", null, JsonRpc.INVALID_REQUEST, "\"id\""),
        Arguments.of("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}", null, JsonRpc.INVALID_REQUEST, "\"id\""),
        Arguments.of("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"ping\",\"params\":[1]}", "a",
            JsonRpc.INVALID_PARAMS, "\"params\" must be an object"));
  }

  @ParameterizedTest
  @MethodSource("badMessages")
  void badMessagesGetTheirJsonRpcError(String text, Object id, int code, String message) {
    assertError(send(text), id, code, message);
  }

  @Test
  void unknownMethodsAreNotFound() {
    initialize("2025-06-18");

    assertError(send(request("r", "resources/list", null)), "r", JsonRpc.METHOD_NOT_FOUND, "resources/list");
  }

  @Test
  void toolsCallNeedsAKnownToolName() {
    initialize("2025-06-18");

    assertError(send(request(1, "tools/call", new JsonObject())), 1, JsonRpc.INVALID_PARAMS, "\"name\"");
    assertError(send(request(2, "tools/call", new JsonObject().put("name", "rm_rf"))), 2, JsonRpc.INVALID_PARAMS,
        "unknown tool 'rm_rf'; known tools: run_code, run_command, list_profiles");
    assertError(send(request(3, "tools/call", new JsonObject().put("name", "run_code").put("arguments", "x"))), 3,
        JsonRpc.INVALID_PARAMS, "\"arguments\" must be an object");
  }

  // --- tools/list ---

  @Test
  void toolsListDescribesEveryToolWithSchemas() {
    initialize("2025-06-18");

    JsonArray tools = send(request(1, "tools/list", null)).getJsonObject("result").getJsonArray("tools");

    assertThat(tools.stream().map(tool -> ((JsonObject) tool).getString("name")))
        .containsExactly("run_code", "run_command", "list_profiles", "create_sandbox", "execute_command",
            "write_file", "read_file", "list_files", "destroy_sandbox", "snapshot_sandbox");
    for (Object entry : tools) {
      JsonObject tool = (JsonObject) entry;
      assertThat(tool.getString("description")).isNotBlank();
      assertThat(tool.getJsonObject("inputSchema").getString("type")).isEqualTo("object");
      assertThat(tool.getJsonObject("outputSchema").getString("type")).isEqualTo("object");
    }
    JsonObject runCode = tools.getJsonObject(0).getJsonObject("inputSchema");
    assertThat(runCode.getJsonArray("required")).containsExactly("language", "code");
    assertThat(runCode.getJsonObject("properties").getJsonObject("language").getJsonArray("enum"))
        .containsExactly("python", "node", "sh");
    assertThat(runCode.getJsonObject("properties").fieldNames())
        .containsExactlyInAnyOrder("language", "code", "stdin", "timeout_seconds", "files");
    JsonObject runCommand = tools.getJsonObject(1).getJsonObject("inputSchema");
    assertThat(runCommand.getJsonObject("properties").fieldNames())
        .containsExactlyInAnyOrder("profile", "argv", "command", "stdin", "timeout_seconds", "files");
    assertThat(tools.getJsonObject(2).getJsonObject("annotations").getBoolean("readOnlyHint")).isTrue();
  }

  @Test
  void clientsOf2025_03_26GetNoOutputSchemasNorStructuredContent() {
    initialize("2025-03-26");
    sandbox.answering(exited(0, "hi\n", ""));

    JsonArray tools = send(request(1, "tools/list", null)).getJsonObject("result").getJsonArray("tools");
    JsonObject result = callTool("run_command", new JsonObject().put("command", "echo hi"));

    assertThat(tools.stream().map(tool -> ((JsonObject) tool).containsKey("outputSchema"))).containsOnly(false);
    assertThat(result.containsKey("structuredContent")).isFalse();
    assertThat(text(result)).startsWith("exit code 0");
  }

  // --- tools/call run_command ---

  @Test
  void runCommandRunsACommandLineThroughShOnTheMinimalProfile() {
    initialize("2025-06-18");
    sandbox.answering(exited(0, "hi\n", ""));

    JsonObject result = callTool("run_command", new JsonObject().put("command", "echo hi").put("stdin", "in")
        .put("timeout_seconds", 2.5)
        .put("files", new JsonArray().add(new JsonObject().put("path", "data.txt").put("content", "x"))));

    RunRequest request = sandbox.runs.getFirst();
    assertThat(request.getProfile()).isEqualTo("minimal");
    assertThat(request.getArgvList()).containsExactly("sh", "-c", "echo hi");
    assertThat(request.getStdin().toStringUtf8()).isEqualTo("in");
    assertThat(request.getTimeout()).isEqualTo(Duration.newBuilder().setSeconds(2).setNanos(500_000_000).build());
    assertThat(request.getFilesList()).containsExactly(
        WorkspaceFile.newBuilder().setPath("data.txt").setContent(ByteString.copyFromUtf8("x")).build());
    assertThat(result.getBoolean("isError")).isFalse();
    assertThat(text(result)).isEqualTo("exit code 0\n--- stdout ---\nhi\n--- stderr ---\n(empty)");
  }

  @Test
  void runCommandTakesAnArgvAndAProfile() {
    initialize("2025-06-18");
    sandbox.answering(exited(0, "", ""));

    callTool("run_command", new JsonObject().put("profile", "python-dev")
        .put("argv", new JsonArray().add("python3").add("-c").add("print(1)")));

    assertThat(sandbox.runs.getFirst().getProfile()).isEqualTo("python-dev");
    assertThat(sandbox.runs.getFirst().getArgvList()).containsExactly("python3", "-c", "print(1)");
    assertThat(sandbox.runs.getFirst().hasTimeout()).isFalse();
  }

  static Stream<Arguments> badRunCommandArguments() {
    return Stream.of(
        Arguments.of(new JsonObject(), "exactly one of \"argv\""),
        Arguments.of(new JsonObject().put("command", "ls").put("argv", new JsonArray().add("ls")), "exactly one"),
        Arguments.of(new JsonObject().put("argv", new JsonArray()), "\"argv\" must not be empty"),
        Arguments.of(new JsonObject().put("argv", new JsonArray().add(1)), "array of strings"),
        Arguments.of(new JsonObject().put("command", 5), "\"command\" must be a string"),
        Arguments.of(new JsonObject().put("command", "ls").put("timeout_seconds", 0), "timeout_seconds"),
        Arguments.of(new JsonObject().put("command", "ls").put("timeout_seconds", "5"), "timeout_seconds"),
        Arguments.of(new JsonObject().put("command", "ls").put("files", new JsonArray().add("a")), "\"files\""),
        Arguments.of(new JsonObject().put("command", "ls").put("cwd", "/"), "unknown argument \"cwd\""));
  }

  @ParameterizedTest
  @MethodSource("badRunCommandArguments")
  void badArgumentsAreInvalidParamsNamingTheField(JsonObject arguments, String message) {
    initialize("2025-06-18");

    JsonObject error = callToolError("run_command", arguments);

    assertThat(error.getInteger("code")).isEqualTo(JsonRpc.INVALID_PARAMS);
    assertThat(error.getString("message")).startsWith("Invalid params: run_command: ").contains(message);
    assertThat(sandbox.runs).isEmpty();
  }

  @Test
  void aNonZeroExitIsANormalResult() {
    initialize("2025-06-18");
    sandbox.answering(exited(3, "partial\n", "boom\n"));

    JsonObject result = callTool("run_command", new JsonObject().put("command", "exit 3"));

    assertThat(result.getBoolean("isError")).isFalse();
    assertThat(text(result)).isEqualTo("exit code 3\n--- stdout ---\npartial\n--- stderr ---\nboom");
    assertThat(result.getJsonObject("structuredContent")).isEqualTo(new JsonObject()
        .put("status", "ok").put("exit_code", 3).put("signal", null).put("stdout", "partial\n")
        .put("stderr", "boom\n").put("truncated", false).put("wall_ms", 42L).put("warm", false));
  }

  @Test
  void aSignalIsReportedWithoutAnExitCode() {
    initialize("2025-06-18");
    sandbox.answering(RunResult.newBuilder().setStatus(RunStatus.RUN_STATUS_OK).setSignal(9).build());

    JsonObject result = callTool("run_command", new JsonObject().put("command", "kill -9 $$"));

    assertThat(result.getBoolean("isError")).isFalse();
    assertThat(text(result)).startsWith("killed by signal 9\n");
    assertThat(result.getJsonObject("structuredContent").getValue("exit_code")).isNull();
    assertThat(result.getJsonObject("structuredContent").getInteger("signal")).isEqualTo(9);
  }

  static Stream<Arguments> sandboxFailures() {
    return Stream.of(
        Arguments.of(RunStatus.RUN_STATUS_TIMEOUT, "timeout", "timed out, the sandbox was killed: after 10s"),
        Arguments.of(RunStatus.RUN_STATUS_OOM_KILLED, "oom_killed", "out of memory, the sandbox was killed: after 10s"),
        Arguments.of(RunStatus.RUN_STATUS_KILLED, "killed", "the sandbox was killed: after 10s"),
        Arguments.of(RunStatus.RUN_STATUS_FAILED_TO_START, "failed_to_start", "the sandbox failed to start: after 10s"));
  }

  @ParameterizedTest
  @MethodSource("sandboxFailures")
  void aSandboxThatDidNotRunToItsEndIsAToolErrorWithTheReason(RunStatus status, String name, String headline) {
    initialize("2025-06-18");
    sandbox.answering(RunResult.newBuilder().setStatus(status).setSignal(9).setMessage("after 10s")
        .setStdout(ByteString.copyFromUtf8("so far\n")).build());

    JsonObject result = callTool("run_command", new JsonObject().put("command", "sleep 100"));

    assertThat(result.getBoolean("isError")).isTrue();
    assertThat(text(result)).isEqualTo(headline + "\n--- stdout ---\nso far\n--- stderr ---\n(empty)");
    assertThat(result.getJsonObject("structuredContent").getString("status")).isEqualTo(name);
    assertThat(result.getJsonObject("structuredContent").getString("message")).isEqualTo("after 10s");
  }

  @Test
  void truncatedOutputIsSaid() {
    initialize("2025-06-18");
    sandbox.answering(RunResult.newBuilder().setStatus(RunStatus.RUN_STATUS_OK).setExitCode(0)
        .setStdout(ByteString.copyFromUtf8("aaaa")).setStdoutTruncated(true).setStdoutBytes(1000).build());

    JsonObject result = callTool("run_command", new JsonObject().put("command", "yes"));

    assertThat(text(result)).contains("aaaa\n[stdout truncated: the command wrote 1000 bytes; the first 4 were kept]");
    assertThat(result.getJsonObject("structuredContent").getBoolean("truncated")).isTrue();
  }

  @Test
  void longOutputKeepsItsStartAndEndForTheModel() {
    initialize("2025-06-18");
    String output = "start" + "x".repeat(ToolResults.MAX_STREAM_CHARS) + "end";
    sandbox.answering(exited(1, "", output));

    JsonObject result = callTool("run_command", new JsonObject().put("command", "yes"));

    String stderr = result.getJsonObject("structuredContent").getString("stderr");
    assertThat(stderr).startsWith("start").endsWith("end").contains("[... 8 characters left out ...]");
    assertThat(stderr.length()).isLessThan(ToolResults.MAX_STREAM_CHARS + 100);
    assertThat(result.getJsonObject("structuredContent").getBoolean("truncated")).isTrue();
    assertThat(text(result)).endsWith("[stderr truncated: 8 characters in the middle left out]");
  }

  static Stream<Arguments> domainFailures() {
    return Stream.of(
        Arguments.of(PhantomException.notFound("unknown profile 'x'; known profiles: minimal"),
            "NOT_FOUND: unknown profile 'x'; known profiles: minimal"),
        Arguments.of(PhantomException.invalidArgument("timeout 99s is above the maximum"),
            "INVALID_ARGUMENT: timeout 99s is above the maximum"),
        Arguments.of(PhantomException.unavailable("no zygote node is running"),
            "UNAVAILABLE: no zygote node is running"),
        Arguments.of(new IllegalStateException("Connection refused"), "the sandbox service failed: Connection refused"));
  }

  @ParameterizedTest
  @MethodSource("domainFailures")
  void domainFailuresAreToolErrorsNotProtocolErrors(Throwable failure, String text) {
    initialize("2025-06-18");
    sandbox.failing(failure);

    JsonObject response = send(request(4, "tools/call",
        new JsonObject().put("name", "run_command").put("arguments", new JsonObject().put("command", "true"))));

    assertThat(response.containsKey("error")).isFalse();
    assertThat(response.getJsonObject("result").getBoolean("isError")).isTrue();
    assertThat(text(response.getJsonObject("result"))).isEqualTo(text);
  }

  @Test
  void anOperationThatThrowsIsAToolErrorToo() {
    initialize("2025-06-18");
    sandbox.onRun = request -> {
      throw PhantomException.invalidArgument("argv is empty");
    };

    JsonObject result = callTool("run_command", new JsonObject().put("command", "true"));

    assertThat(result.getBoolean("isError")).isTrue();
    assertThat(text(result)).isEqualTo("INVALID_ARGUMENT: argv is empty");
  }

  @Test
  void aCallStillRunningDoesNotHoldBackOtherMessages() {
    initialize("2025-06-18");
    Promise<RunResult> running = sandbox.pending();

    Future<JsonObject> call = server.handleText(request(1, "tools/call",
        new JsonObject().put("name", "run_command").put("arguments", new JsonObject().put("command", "sleep 5"))));
    JsonObject ping = send(request(2, "ping", null));

    assertThat(call.isComplete()).isFalse();
    assertThat(ping.getJsonObject("result")).isEqualTo(new JsonObject());
    running.complete(exited(0, "", ""));
    assertThat(call.result().getJsonObject("result").getBoolean("isError")).isFalse();
  }

  // --- tools/call run_code and list_profiles ---

  @Test
  void runCodeSendsTheProgramAndItsFiles() {
    initialize("2025-06-18");
    sandbox.answering(exited(0, "2\n", ""));

    JsonObject result = callTool("run_code", new JsonObject().put("language", "python").put("code", "print(1+1)")
        .put("timeout_seconds", 5)
        .put("files", new JsonArray().add(new JsonObject().put("path", "lib.py").put("content", "X = 1"))));

    RunCodeRequest request = sandbox.codeRuns.getFirst();
    assertThat(request.getLanguage()).isEqualTo("python");
    assertThat(request.getSource()).isEqualTo("print(1+1)");
    assertThat(request.getTimeout().getSeconds()).isEqualTo(5);
    assertThat(request.getFiles(0).getPath()).isEqualTo("lib.py");
    assertThat(request.getFiles(0).getContent().toStringUtf8()).isEqualTo("X = 1");
    assertThat(text(result)).isEqualTo("exit code 0\n--- stdout ---\n2\n--- stderr ---\n(empty)");
    assertThat(result.getJsonObject("structuredContent").getString("stdout")).isEqualTo("2\n");
  }

  @Test
  void runCodeNeedsLanguageAndCode() {
    initialize("2025-06-18");

    JsonObject error = callToolError("run_code", new JsonObject().put("language", "python"));

    assertThat(error.getInteger("code")).isEqualTo(JsonRpc.INVALID_PARAMS);
    assertThat(error.getString("message")).isEqualTo("Invalid params: run_code: \"code\" (a string) is required");
    assertThat(sandbox.codeRuns).isEmpty();
  }

  @Test
  void runCodePassesTheGatewaysLanguageErrorBack() {
    initialize("2025-06-18");
    sandbox.failing(PhantomException.invalidArgument("unknown language 'cobol'; known languages: python, node, sh"));

    JsonObject result = callTool("run_code", new JsonObject().put("language", "cobol").put("code", "x"));

    assertThat(result.getBoolean("isError")).isTrue();
    assertThat(text(result)).contains("unknown language 'cobol'");
  }

  @Test
  void listProfilesSummarisesProfilesAndLanguages() {
    initialize("2025-06-18");
    sandbox.profiles = Future.succeededFuture(ListProfilesResponse.newBuilder()
        .addProfiles(ProfileInfo.newBuilder().setName("minimal").setDescription("POSIX shell.")
            .setDefaultTimeout(Duration.newBuilder().setSeconds(10)).setMaxTimeout(Duration.newBuilder().setSeconds(60)))
        .addLanguages(Language.newBuilder().setName("python").setProfile("python-dev")
            .addAllCommand(List.of("python3", "main.py")))
        .build());

    JsonObject result = callTool("list_profiles", new JsonObject());

    assertThat(result.getBoolean("isError")).isFalse();
    assertThat(text(result)).contains("- minimal: POSIX shell. Timeout 10s by default, at most 60s; network off.")
        .contains("- python: profile python-dev, run as 'python3 main.py'");
    JsonObject structured = result.getJsonObject("structuredContent");
    assertThat(structured.getJsonArray("profiles").getJsonObject(0).getDouble("max_timeout_seconds")).isEqualTo(60.0);
    assertThat(structured.getJsonArray("languages").getJsonObject(0).getString("profile")).isEqualTo("python-dev");
  }

  // --- helpers ---

  private JsonObject initialize(String version) {
    return send(request(1, "initialize", new JsonObject().put("protocolVersion", version)
        .put("capabilities", new JsonObject())
        .put("clientInfo", new JsonObject().put("name", "test").put("version", "1"))));
  }

  private JsonObject callTool(String name, JsonObject arguments) {
    JsonObject response = send(request(99, "tools/call", new JsonObject().put("name", name).put("arguments", arguments)));
    assertThat(response.containsKey("error")).as("%s", response).isFalse();
    return response.getJsonObject("result");
  }

  private JsonObject callToolError(String name, JsonObject arguments) {
    JsonObject response = send(request(99, "tools/call", new JsonObject().put("name", name).put("arguments", arguments)));
    assertThat(response.containsKey("error")).as("%s", response).isTrue();
    return response.getJsonObject("error");
  }

  private JsonObject send(String text) {
    Future<JsonObject> response = server.handleText(text);
    assertThat(response.succeeded()).as("answered at once").isTrue();
    return response.result();
  }

  private static String request(Object id, String method, JsonObject params) {
    JsonObject request = new JsonObject().put("jsonrpc", "2.0").put("id", id).put("method", method);
    if (params != null) {
      request.put("params", params);
    }
    return request.encode();
  }

  private static void assertError(JsonObject response, Object id, int code, String message) {
    assertThat(response.getString("jsonrpc")).isEqualTo("2.0");
    assertThat(response.getValue("id")).isEqualTo(id);
    assertThat(response.containsKey("result")).isFalse();
    assertThat(response.getJsonObject("error").getInteger("code")).isEqualTo(code);
    assertThat(response.getJsonObject("error").getString("message")).contains(message);
  }

  private static String text(JsonObject result) {
    JsonArray content = result.getJsonArray("content");
    assertThat(content).hasSize(1);
    assertThat(content.getJsonObject(0).getString("type")).isEqualTo("text");
    return content.getJsonObject(0).getString("text");
  }

  private static RunResult exited(int code, String stdout, String stderr) {
    return RunResult.newBuilder().setStatus(RunStatus.RUN_STATUS_OK).setExitCode(code)
        .setStdout(ByteString.copyFromUtf8(stdout)).setStderr(ByteString.copyFromUtf8(stderr))
        .setTimings(Timings.newBuilder().setWallMicros(42_000)).build();
  }
}
