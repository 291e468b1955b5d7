package dev.phantom.gateway.cli;

import picocli.CommandLine.Option;

/** Where a one-shot command sends its calls: a running gateway, or (unset) a private mesh of its own. */
final class TargetFlags {

  @Option(names = "--gateway", paramLabel = "HOST:PORT", defaultValue = "${env:PHANTOM_GATEWAY}",
      description = "A running gateway (default: $PHANTOM_GATEWAY; unset: run embedded).")
  String gateway;

  @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:PHANTOM_API_KEY}",
      description = "API key for --gateway (default: $PHANTOM_API_KEY).")
  String apiKey;

  /** @param hostWorkspaces whether a private mesh may bind host directories at /workspace */
  GatewayTarget open(boolean hostWorkspaces) {
    return GatewayTarget.open(gateway, apiKey, hostWorkspaces);
  }
}
