package dev.phantom.gateway.mcp;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;

/** JSON-RPC 2.0 as MCP uses it: the error codes, and building responses. */
public final class JsonRpc {

  public static final String VERSION = "2.0";

  /** The text was not JSON. */
  public static final int PARSE_ERROR = -32700;
  /** JSON, but not a valid request (no method, a bad id, a batch, out of order). */
  public static final int INVALID_REQUEST = -32600;
  public static final int METHOD_NOT_FOUND = -32601;
  public static final int INVALID_PARAMS = -32602;
  public static final int INTERNAL_ERROR = -32603;

  private JsonRpc() {}

  /**
   * Parses one message: a {@link JsonObject}, a {@link io.vertx.core.json.JsonArray} (a batch),
   * or any other JSON value, which the server answers as an invalid request.
   *
   * @throws DecodeException when the text is not JSON
   */
  public static Object parse(String text) {
    return Json.decodeValue(text);
  }

  public static JsonObject result(Object id, JsonObject result) {
    return new JsonObject().put("jsonrpc", VERSION).put("id", id).put("result", result);
  }

  public static JsonObject error(Object id, int code, String message) {
    return new JsonObject().put("jsonrpc", VERSION).put("id", id)
        .put("error", new JsonObject().put("code", code).put("message", message));
  }

  public static JsonObject parseError(String detail) {
    return error(null, PARSE_ERROR, "Parse error: " + detail);
  }
}
