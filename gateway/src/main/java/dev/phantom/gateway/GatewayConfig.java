package dev.phantom.gateway;

import dev.phantom.support.config.ConfigReader;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The gateway's settings (section {@code gateway} of the node config).
 *
 * @param host address both servers bind to (default {@value #DEFAULT_HOST}: loopback only)
 * @param grpcPort gRPC port (default {@value #DEFAULT_GRPC_PORT}; 0 picks a free one)
 * @param httpPort HTTP port for /health and /metrics (default {@value #DEFAULT_HTTP_PORT}; 0 picks a free one)
 * @param spawnGraceMs how long past a run's timeout the gateway waits for its node before giving up
 *     with UNAVAILABLE (default {@value #DEFAULT_SPAWN_GRACE_MS})
 * @param allowHostWorkspaces whether a request may bind a host directory at /workspace
 *     ({@code host_workspace}); only for a gateway whose every client may touch the host's files,
 *     such as the CLI's own embedded mesh (default false)
 * @param maxMessageBytes largest gRPC message in either direction: requests carry files, results
 *     carry output and collected files (default {@value #DEFAULT_MAX_MESSAGE_BYTES})
 */
public record GatewayConfig(String host, int grpcPort, int httpPort, long spawnGraceMs, boolean allowHostWorkspaces,
    long maxMessageBytes) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_GRPC_PORT = 50051;
  public static final int DEFAULT_HTTP_PORT = 8080;
  public static final long DEFAULT_SPAWN_GRACE_MS = 15_000;
  public static final long DEFAULT_MAX_MESSAGE_BYTES = 64L << 20;

  public static GatewayConfig from(JsonObject json) {
    ConfigReader reader = new ConfigReader("gateway", json,
        List.of("host", "grpcPort", "httpPort", "spawnGraceMs", "allowHostWorkspaces", "maxMessageBytes"));
    GatewayConfig config = new GatewayConfig(
        reader.string("host", DEFAULT_HOST),
        reader.port("grpcPort", DEFAULT_GRPC_PORT),
        reader.port("httpPort", DEFAULT_HTTP_PORT),
        reader.integer("spawnGraceMs", DEFAULT_SPAWN_GRACE_MS, 1, 600_000),
        reader.bool("allowHostWorkspaces", false),
        reader.integer("maxMessageBytes", DEFAULT_MAX_MESSAGE_BYTES, 1 << 16, 1L << 30));
    reader.validate();
    return config;
  }
}
