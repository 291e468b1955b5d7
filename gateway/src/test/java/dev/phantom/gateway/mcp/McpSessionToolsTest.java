package dev.phantom.gateway.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import dev.phantom.api.v1.ExecStart;
import dev.phantom.api.v1.FileInfo;
import dev.phantom.api.v1.FileType;
import dev.phantom.api.v1.ListFilesResponse;
import dev.phantom.api.v1.OutputChunk;
import dev.phantom.api.v1.OutputStream;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.api.v1.WorkspaceFile;
import dev.phantom.gateway.SandboxOperations;
import dev.phantom.support.PhantomException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The session tools (create_sandbox ... destroy_sandbox) over a fake {@link SandboxOperations}. */
class McpSessionToolsTest {

  private static final String ID = "node-1.abcdefghijklmnopqrstuvwxyz";

  private final FakeSandboxOperations sandbox = new FakeSandboxOperations();
  private final McpServer server = new McpServer(sandbox);

  @BeforeEach
  void initialize() {
    send(request(1, "initialize", new JsonObject().put("protocolVersion", "2025-06-18")
        .put("capabilities", new JsonObject())
        .put("clientInfo", new JsonObject().put("name", "test").put("version", "1"))));
  }

  @Test
  void theSessionToolsAreListedWithSchemasAndHints() {
    JsonArray tools = send(request(2, "tools/list", null)).getJsonObject("result").getJsonArray("tools");

    JsonObject create = tool(tools, "create_sandbox");
    assertThat(create.getString("description")).contains("ttl_seconds", "10 minutes", "sandbox_id");
    assertThat(create.getJsonObject("inputSchema").getJsonObject("properties").fieldNames())
        .containsExactlyInAnyOrder("profile", "ttl_seconds", "from_snapshot");
    assertThat(create.getJsonObject("outputSchema").getJsonArray("required")).contains("sandbox_id");
    JsonObject execute = tool(tools, "execute_command");
    assertThat(execute.getJsonObject("inputSchema").getJsonArray("required")).containsExactly("command");
    assertThat(execute.getJsonObject("inputSchema").getJsonObject("properties").fieldNames())
        .containsExactlyInAnyOrder("command", "sandbox_id", "timeout_seconds");
    assertThat(tool(tools, "write_file").getJsonObject("inputSchema").getJsonArray("required"))
        .containsExactly("sandbox_id", "path", "content");
    assertThat(tool(tools, "read_file").getJsonObject("annotations").getBoolean("readOnlyHint")).isTrue();
    assertThat(tool(tools, "list_files").getJsonObject("annotations").getBoolean("readOnlyHint")).isTrue();
    JsonObject destroy = tool(tools, "destroy_sandbox");
    assertThat(destroy.getJsonObject("annotations").getBoolean("destructiveHint")).isTrue();
    assertThat(destroy.getJsonObject("annotations").getBoolean("readOnlyHint")).isFalse();
    assertThat(tool(tools, "run_command").getJsonObject("annotations").getBoolean("destructiveHint")).isFalse();
  }

  @Test
  void createSandboxPassesProfileAndTtlAndReturnsTheId() {
    sandbox.onCreate = request -> Future.succeededFuture(Sandbox.newBuilder().setId(ID).setProfile(request.getProfile())
        .setCreatedAt(Timestamp.newBuilder().setSeconds(1000)).setIdleDeadline(Timestamp.newBuilder().setSeconds(1090))
        .setMaxDeadline(Timestamp.newBuilder().setSeconds(4600)).build());

    JsonObject result = callTool("create_sandbox", new JsonObject().put("profile", "python-dev").put("ttl_seconds", 90));

    assertThat(sandbox.creates.getFirst().getProfile()).isEqualTo("python-dev");
    assertThat(sandbox.creates.getFirst().getIdleTimeout()).isEqualTo(Duration.newBuilder().setSeconds(90).build());
    assertThat(result.getBoolean("isError")).isFalse();
    assertThat(result.getJsonObject("structuredContent")).isEqualTo(new JsonObject().put("sandbox_id", ID)
        .put("profile", "python-dev").put("idle_timeout_seconds", 90L).put("max_lifetime_seconds", 3600L));
    assertThat(text(result)).contains(ID, "python-dev", "90s without a call");
  }

  @Test
  void createSandboxDefaultsToTheMinimalProfileAndTheNodesIdleTimeout() {
    callTool("create_sandbox", new JsonObject());

    assertThat(sandbox.creates.getFirst().getProfile()).isEqualTo("minimal");
    assertThat(sandbox.creates.getFirst().hasIdleTimeout()).isFalse();
  }

  @Test
  void executeCommandWithASandboxExecsThroughSh() {
    sandbox.onExec = start -> Future.succeededFuture(exited(0, "hi\n", ""));

    JsonObject result = callTool("execute_command", new JsonObject().put("command", "echo hi").put("sandbox_id", ID)
        .put("timeout_seconds", 1.5));

    ExecStart start = sandbox.execs.getFirst();
    assertThat(start.getSandboxId()).isEqualTo(ID);
    assertThat(start.getArgvList()).containsExactly("sh", "-c", "echo hi");
    assertThat(start.getTimeout()).isEqualTo(Duration.newBuilder().setSeconds(1).setNanos(500_000_000).build());
    assertThat(sandbox.runs).isEmpty();
    assertThat(result.getBoolean("isError")).isFalse();
    assertThat(text(result)).isEqualTo("exit code 0\n--- stdout ---\nhi\n--- stderr ---\n(empty)");
    assertThat(result.getJsonObject("structuredContent").getString("stdout")).isEqualTo("hi\n");
    assertThat(result.getJsonObject("structuredContent").getInteger("exit_code")).isZero();
  }

  @Test
  void executeCommandWithoutASandboxIsAOneOffRun() {
    sandbox.answering(exited(4, "", "bad\n"));

    JsonObject result = callTool("execute_command", new JsonObject().put("command", "exit 4"));

    assertThat(sandbox.execs).isEmpty();
    assertThat(sandbox.runs.getFirst().getProfile()).isEqualTo("minimal");
    assertThat(sandbox.runs.getFirst().getArgvList()).containsExactly("sh", "-c", "exit 4");
    assertThat(result.getBoolean("isError")).isFalse();
    assertThat(result.getJsonObject("structuredContent").getInteger("exit_code")).isEqualTo(4);
    assertThat(result.getJsonObject("structuredContent").getString("stderr")).isEqualTo("bad\n");
  }

  @Test
  void anExecThatTimedOutIsAToolError() {
    sandbox.onExec = start -> Future.succeededFuture(RunResult.newBuilder().setStatus(RunStatus.RUN_STATUS_TIMEOUT)
        .setSignal(9).setMessage("ran past 1s").build());

    JsonObject result = callTool("execute_command", new JsonObject().put("command", "sleep 9").put("sandbox_id", ID));

    assertThat(result.getBoolean("isError")).isTrue();
    assertThat(result.getJsonObject("structuredContent").getString("status")).isEqualTo("timeout");
  }

  @Test
  void anUnknownOrDestroyedSandboxIsAToolError() {
    sandbox.onExec = start -> Future.failedFuture(PhantomException.notFound("no sandbox " + start.getSandboxId()));

    JsonObject result = callTool("execute_command", new JsonObject().put("command", "true").put("sandbox_id", ID));

    assertThat(result.getBoolean("isError")).isTrue();
    assertThat(text(result)).isEqualTo("NOT_FOUND: no sandbox " + ID);
  }

  @Test
  void writeFileWritesOneTextFile() {
    JsonObject result = callTool("write_file", new JsonObject().put("sandbox_id", ID).put("path", "main.py")
        .put("content", "print('é')\n"));

    assertThat(sandbox.writes.getFirst().getSandboxId()).isEqualTo(ID);
    assertThat(sandbox.writes.getFirst().getFilesList()).containsExactly(WorkspaceFile.newBuilder().setPath("main.py")
        .setContent(ByteString.copyFromUtf8("print('é')\n")).build());
    assertThat(result.getBoolean("isError")).isFalse();
    assertThat(result.getJsonObject("structuredContent"))
        .isEqualTo(new JsonObject().put("path", "main.py").put("bytes", 12L));
    assertThat(text(result)).isEqualTo("Wrote 12 bytes to main.py.");
  }

  @Test
  void readFileReturnsTheText() {
    sandbox.onRead = request -> Future.succeededFuture(ByteString.copyFromUtf8("hello\n"));

    JsonObject result = callTool("read_file", new JsonObject().put("sandbox_id", ID).put("path", "out.txt"));

    assertThat(sandbox.reads.getFirst().getPath()).isEqualTo("out.txt");
    assertThat(result.getJsonObject("structuredContent")).isEqualTo(new JsonObject().put("path", "out.txt")
        .put("content", "hello\n").put("bytes", 6).put("truncated", false));
    assertThat(text(result)).isEqualTo("--- out.txt ---\nhello");
  }

  @Test
  void listFilesListsEntries() {
    sandbox.onList = request -> Future.succeededFuture(ListFilesResponse.newBuilder()
        .addFiles(FileInfo.newBuilder().setPath("main.py").setType(FileType.FILE_TYPE_REGULAR).setSize(12))
        .addFiles(FileInfo.newBuilder().setPath("data").setType(FileType.FILE_TYPE_DIRECTORY)).build());

    JsonObject result = callTool("list_files", new JsonObject().put("sandbox_id", ID));

    assertThat(sandbox.lists.getFirst().getPath()).isEmpty();
    assertThat(result.getJsonObject("structuredContent").getJsonArray("files")).containsExactly(
        new JsonObject().put("path", "main.py").put("type", "file").put("size", 12L),
        new JsonObject().put("path", "data").put("type", "directory").put("size", 0L));
    assertThat(text(result)).isEqualTo("/workspace: 2 entries\nmain.py  12 bytes\ndata/");
  }

  @Test
  void destroySandboxDestroysIt() {
    JsonObject result = callTool("destroy_sandbox", new JsonObject().put("sandbox_id", ID));

    assertThat(sandbox.destroys).containsExactly(ID);
    assertThat(result.getBoolean("isError")).isFalse();
    assertThat(result.getJsonObject("structuredContent"))
        .isEqualTo(new JsonObject().put("sandbox_id", ID).put("destroyed", true));
  }

  @Test
  void snapshotSandboxReturnsTheIdAndCreateSandboxForksIt() {
    String snap = "ab".repeat(32);
    sandbox.onSnapshot = id -> Future.succeededFuture(dev.phantom.api.v1.Snapshot.newBuilder().setSnapshotId(snap)
        .setFiles(2).setLogicalBytes(10).setUploadedBytes(4).addSkipped("pipe: is a device node, FIFO or socket").build());
    JsonObject result = callTool("snapshot_sandbox", new JsonObject().put("sandbox_id", ID));
    assertThat(result.getBoolean("isError")).isFalse();
    assertThat(result.getJsonObject("structuredContent").getString("snapshot_id")).isEqualTo(snap);
    assertThat(result.getJsonObject("structuredContent").getLong("uploaded_bytes")).isEqualTo(4L);
    assertThat(text(result)).contains(snap, "from_snapshot", "Left out: pipe");

    CreateSandboxRequest[] asked = new CreateSandboxRequest[1];
    sandbox.onCreate = request -> {
      asked[0] = request;
      return Future.succeededFuture(Sandbox.newBuilder().setId(ID).setProfile(request.getProfile()).build());
    };
    callTool("create_sandbox", new JsonObject().put("from_snapshot", snap));
    assertThat(asked[0].getFromSnapshot()).isEqualTo(snap);
  }

  @Test
  void aFailedSnapshotIsAToolError() {
    JsonObject result = callTool("snapshot_sandbox", new JsonObject().put("sandbox_id", ID));
    assertThat(result.getBoolean("isError")).isTrue();
    assertThat(text(result)).contains("NOT_FOUND");
  }

  static Stream<Arguments> badSessionArguments() {
    return Stream.of(
        Arguments.of("create_sandbox", new JsonObject().put("ttl_seconds", 0), "\"ttl_seconds\""),
        Arguments.of("create_sandbox", new JsonObject().put("profile", 1), "\"profile\" must be a string"),
        Arguments.of("execute_command", new JsonObject().put("sandbox_id", ID), "\"command\" (a string) is required"),
        Arguments.of("execute_command", new JsonObject().put("command", "ls").put("sandbox_id", 3),
            "\"sandbox_id\" must be a string"),
        Arguments.of("execute_command", new JsonObject().put("command", "ls").put("timeout_seconds", -1),
            "\"timeout_seconds\""),
        Arguments.of("execute_command", new JsonObject().put("command", "ls").put("argv", new JsonArray()),
            "unknown argument \"argv\""),
        Arguments.of("write_file", new JsonObject().put("sandbox_id", ID).put("path", "a"),
            "\"content\" (a string) is required"),
        Arguments.of("write_file", new JsonObject().put("path", "a").put("content", ""),
            "\"sandbox_id\" (a string) is required"),
        Arguments.of("read_file", new JsonObject().put("sandbox_id", ID), "\"path\" (a string) is required"),
        Arguments.of("list_files", new JsonObject(), "\"sandbox_id\" (a string) is required"),
        Arguments.of("destroy_sandbox", new JsonObject(), "\"sandbox_id\" (a string) is required"),
        Arguments.of("snapshot_sandbox", new JsonObject(), "\"sandbox_id\" (a string) is required"),
        Arguments.of("create_sandbox", new JsonObject().put("from_snapshot", 7), "\"from_snapshot\" must be a string"));
  }

  @ParameterizedTest
  @MethodSource("badSessionArguments")
  void on20251125BadArgumentsAreStillInvalidParamsNamingTheField(String tool, JsonObject arguments, String message) {
    McpServer latest = new McpServer(sandbox);
    latest.handleText(request(1, "initialize", new JsonObject().put("protocolVersion", "2025-11-25")
        .put("capabilities", new JsonObject()).put("clientInfo", new JsonObject().put("name", "t").put("version", "1"))));
    JsonObject response = latest.handleText(request(99, "tools/call", new JsonObject().put("name", tool).put("arguments", arguments)))
        .toCompletionStage().toCompletableFuture().join();

    assertThat(response.getJsonObject("error").getInteger("code")).as("%s", response).isEqualTo(JsonRpc.INVALID_PARAMS);
    assertThat(response.getJsonObject("error").getString("message")).contains(message);
  }

  @ParameterizedTest
  @MethodSource("badSessionArguments")
  void badArgumentsAreInvalidParamsNamingTheField(String tool, JsonObject arguments, String message) {
    JsonObject response = send(request(99, "tools/call", new JsonObject().put("name", tool).put("arguments", arguments)));

    assertThat(response.getJsonObject("error").getInteger("code")).as("%s", response).isEqualTo(JsonRpc.INVALID_PARAMS);
    assertThat(response.getJsonObject("error").getString("message"))
        .startsWith("Invalid params: " + tool + ": ").contains(message);
    assertThat(sandbox.creates).isEmpty();
    assertThat(sandbox.execs).isEmpty();
    assertThat(sandbox.runs).isEmpty();
    assertThat(sandbox.writes).isEmpty();
    assertThat(sandbox.destroys).isEmpty();
  }

  @Test
  void theExecCollectorGathersOutputWithinItsLimit() {
    SandboxOperations.ExecOutputCollector collector = new SandboxOperations.ExecOutputCollector();
    collector.accept(chunk(OutputStream.OUTPUT_STREAM_STDOUT, "a".repeat(SandboxOperations.MAX_EXEC_OUTPUT_BYTES - 1)));
    collector.accept(chunk(OutputStream.OUTPUT_STREAM_STDOUT, "bcd"));
    collector.accept(chunk(OutputStream.OUTPUT_STREAM_STDERR, "oops"));

    RunResult result = collector.complete(RunResult.newBuilder().setStatus(RunStatus.RUN_STATUS_OK).setExitCode(1).build());

    assertThat(result.getStdout().size()).isEqualTo(SandboxOperations.MAX_EXEC_OUTPUT_BYTES);
    assertThat(result.getStdout().toStringUtf8()).endsWith("ab");
    assertThat(result.getStdoutTruncated()).isTrue();
    assertThat(result.getStdoutBytes()).isEqualTo(SandboxOperations.MAX_EXEC_OUTPUT_BYTES + 2L);
    assertThat(result.getStderr().toStringUtf8()).isEqualTo("oops");
    assertThat(result.getStderrTruncated()).isFalse();
    assertThat(result.getExitCode()).isEqualTo(1);
  }

  private static OutputChunk chunk(OutputStream stream, String data) {
    return OutputChunk.newBuilder().setStream(stream).setData(ByteString.copyFromUtf8(data)).build();
  }

  private static JsonObject tool(JsonArray tools, String name) {
    return tools.stream().map(JsonObject.class::cast).filter(t -> t.getString("name").equals(name)).findFirst()
        .orElseThrow();
  }

  private JsonObject callTool(String name, JsonObject arguments) {
    JsonObject response = send(request(99, "tools/call", new JsonObject().put("name", name).put("arguments", arguments)));
    assertThat(response.containsKey("error")).as("%s", response).isFalse();
    return response.getJsonObject("result");
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

  private static String text(JsonObject result) {
    JsonArray content = result.getJsonArray("content");
    assertThat(content).hasSize(1);
    return content.getJsonObject(0).getString("text");
  }

  private static RunResult exited(int code, String stdout, String stderr) {
    return RunResult.newBuilder().setStatus(RunStatus.RUN_STATUS_OK).setExitCode(code)
        .setStdout(ByteString.copyFromUtf8(stdout)).setStderr(ByteString.copyFromUtf8(stderr)).build();
  }
}
