package dev.phantom.gateway.mcp;

/**
 * A tools/call whose arguments do not fit the tool's input schema: a protocol error (JSON-RPC
 * -32602, naming the field), not a failure of the user's code.
 */
final class InvalidToolArguments extends RuntimeException {

  InvalidToolArguments(String message) {
    super(message, null, false, false);
  }
}
