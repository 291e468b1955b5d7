package dev.phantom.gateway.mcp;

import dev.phantom.gateway.SandboxOperations;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * One MCP session, independent of the transport: takes one JSON-RPC message and answers it (or
 * not, for notifications and responses). Runs tools through a {@link SandboxOperations}; each
 * transport owns one server per session (stdio: one for the process; HTTP: one per
 * {@code Mcp-Session-Id}).
 *
 * <p>Thread-safe: messages may arrive while a tool call is still running, from any thread. The
 * returned futures complete on whatever thread the operations complete on.
 */
public final class McpServer {

  /** The newest revision first: a client asking for one we do not know gets the newest. */
  public static final List<String> SUPPORTED_VERSIONS = List.of("2025-11-25", "2025-06-18", "2025-03-26");
  public static final String LATEST_VERSION = SUPPORTED_VERSIONS.getFirst();
  public static final String NAME = "phantom-fragment";
  public static final String SERVER_VERSION = "0.1.0";

  static final String INSTRUCTIONS = "Runs code and shell commands in isolated Linux sandboxes with no network. "
      + "run_code, run_command and execute_command without sandbox_id start a fresh sandbox per call: files and "
      + "processes never outlive the call, so pass every file a program needs with it. For work over several "
      + "steps, create_sandbox once, then write_file, execute_command, read_file and list_files with its "
      + "sandbox_id (files and background processes persist), and destroy_sandbox at the end. "
      + "A non-zero exit code is a normal result; read stderr to fix the program.";

  private final McpTools tools;
  /** The negotiated revision once initialize was answered; null before. */
  private volatile String protocolVersion;

  public McpServer(SandboxOperations operations) {
    this.tools = new McpTools(operations);
  }

  /** The revision this session speaks, or null before initialize. */
  public String protocolVersion() {
    return protocolVersion;
  }

  /**
   * Handles one line or body of text: parses it, then as {@link #handle(Object)}. Text that is not
   * JSON is answered with a parse error.
   */
  public Future<JsonObject> handleText(String text) {
    Object message;
    try {
      message = JsonRpc.parse(text);
    } catch (DecodeException e) {
      return Future.succeededFuture(JsonRpc.parseError(firstLine(e.getMessage())));
    }
    return handle(message);
  }

  /**
   * Handles one parsed message.
   *
   * @return the response, or a null result for a notification or a response from the client
   */
  public Future<JsonObject> handle(Object message) {
    if (message instanceof JsonArray) {
      return answer(JsonRpc.error(null, JsonRpc.INVALID_REQUEST,
          "Invalid Request: batches are not supported (MCP 2025-06-18 removed them); send one message at a time"));
    }
    if (!(message instanceof JsonObject object)) {
      return answer(JsonRpc.error(null, JsonRpc.INVALID_REQUEST, "Invalid Request: a message must be a JSON object"));
    }
    Object id = object.getValue("id");
    boolean hasId = object.containsKey("id");
    boolean validId = id instanceof String || id instanceof Number;
    if (!JsonRpc.VERSION.equals(object.getValue("jsonrpc"))) {
      return answer(JsonRpc.error(validId ? id : null, JsonRpc.INVALID_REQUEST,
          "Invalid Request: \"jsonrpc\" must be \"2.0\""));
    }
    Object method = object.getValue("method");
    if (method == null) {
      if (hasId && (object.containsKey("result") || object.containsKey("error"))) {
        // A response to a request of ours; this server sends none, so there is nothing to match it to.
        return answer(null);
      }
      return answer(JsonRpc.error(validId ? id : null, JsonRpc.INVALID_REQUEST,
          "Invalid Request: \"method\" is missing"));
    }
    if (!(method instanceof String name)) {
      return answer(JsonRpc.error(validId ? id : null, JsonRpc.INVALID_REQUEST,
          "Invalid Request: \"method\" must be a string"));
    }
    if (!hasId) {
      // A notification gets no answer. notifications/initialized needs no action: requests are served
      // from the initialize response on. notifications/cancelled cannot stop a run here; the run still
      // ends at its timeout, and the specification allows its late response.
      return answer(null);
    }
    if (!validId) {
      return answer(JsonRpc.error(null, JsonRpc.INVALID_REQUEST,
          "Invalid Request: \"id\" must be a string or a number"));
    }
    Object params = object.getValue("params");
    if (params != null && !(params instanceof JsonObject)) {
      return answer(JsonRpc.error(id, JsonRpc.INVALID_PARAMS, "Invalid params: \"params\" must be an object"));
    }
    return request(id, name, params == null ? new JsonObject() : (JsonObject) params);
  }

  private Future<JsonObject> request(Object id, String method, JsonObject params) {
    if (method.equals("initialize")) {
      return answer(initialize(id, params));
    }
    if (method.equals("ping")) {
      return answer(JsonRpc.result(id, new JsonObject()));
    }
    if (protocolVersion == null) {
      return answer(JsonRpc.error(id, JsonRpc.INVALID_REQUEST,
          "Invalid Request: the session is not initialized; send \"initialize\" first"));
    }
    return switch (method) {
      case "tools/list" -> answer(JsonRpc.result(id, new JsonObject()
          .put("tools", tools.definitions(structuredOutput()))));
      case "tools/call" -> call(id, params);
      default -> answer(JsonRpc.error(id, JsonRpc.METHOD_NOT_FOUND, "Method not found: " + method));
    };
  }

  private synchronized JsonObject initialize(Object id, JsonObject params) {
    if (protocolVersion != null) {
      return JsonRpc.error(id, JsonRpc.INVALID_REQUEST, "Invalid Request: the session is already initialized");
    }
    if (!(params.getValue("protocolVersion") instanceof String requested)) {
      return JsonRpc.error(id, JsonRpc.INVALID_PARAMS,
          "Invalid params: \"protocolVersion\" (a string such as \"" + LATEST_VERSION + "\") is required");
    }
    protocolVersion = SUPPORTED_VERSIONS.contains(requested) ? requested : LATEST_VERSION;
    return JsonRpc.result(id, new JsonObject()
        .put("protocolVersion", protocolVersion)
        .put("capabilities", new JsonObject().put("tools", new JsonObject().put("listChanged", false)))
        .put("serverInfo", new JsonObject().put("name", NAME).put("title", "Phantom Fragment sandboxes")
            .put("version", SERVER_VERSION))
        .put("instructions", INSTRUCTIONS));
  }

  private Future<JsonObject> call(Object id, JsonObject params) {
    if (!(params.getValue("name") instanceof String name)) {
      return answer(JsonRpc.error(id, JsonRpc.INVALID_PARAMS, "Invalid params: \"name\" (the tool's name) is required"));
    }
    Object arguments = params.getValue("arguments");
    if (arguments != null && !(arguments instanceof JsonObject)) {
      return answer(JsonRpc.error(id, JsonRpc.INVALID_PARAMS, "Invalid params: \"arguments\" must be an object"));
    }
    if (!tools.has(name)) {
      return answer(JsonRpc.error(id, JsonRpc.INVALID_PARAMS,
          "Invalid params: unknown tool '" + name + "'; known tools: " + String.join(", ", tools.names())));
    }
    return tools.call(name, arguments == null ? new JsonObject() : (JsonObject) arguments, structuredOutput())
        .map(result -> JsonRpc.result(id, result))
        .otherwise(failure -> failure instanceof InvalidToolArguments invalid
            ? invalidArguments(id, invalid)
            : JsonRpc.error(id, JsonRpc.INTERNAL_ERROR, "Internal error: " + failure));
  }

  /**
   * A JSON-RPC invalid-params error naming the field, on every revision. 2025-11-25 suggests (SHOULD) a
   * tool execution error instead; we keep the error our API contract names, which clients of every
   * revision tell apart from a failing command, and whose text names the field all the same.
   */
  private JsonObject invalidArguments(Object id, InvalidToolArguments invalid) {
    return JsonRpc.error(id, JsonRpc.INVALID_PARAMS, "Invalid params: " + invalid.getMessage());
  }

  /** Output schemas and structured content came with 2025-06-18; older clients get text alone. */
  private boolean structuredOutput() {
    return !"2025-03-26".equals(protocolVersion);
  }

  private static Future<JsonObject> answer(JsonObject response) {
    return Future.succeededFuture(response);
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "not JSON";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
