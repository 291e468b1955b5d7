package dev.phantom.gateway;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The gateway's settings (section {@code gateway} of the node config).
 *
 * @param host address both servers bind to (default {@value #DEFAULT_HOST}: loopback only)
 * @param grpcPort gRPC port (default {@value #DEFAULT_GRPC_PORT}; 0 picks a free one)
 * @param httpPort HTTP port for /health and /metrics (default {@value #DEFAULT_HTTP_PORT}; 0 picks a free one)
 * @param spawnGraceMs how long past a run's timeout the gateway waits for its node before giving up
 *     with UNAVAILABLE (default {@value #DEFAULT_SPAWN_GRACE_MS})
 */
public record GatewayConfig(String host, int grpcPort, int httpPort, long spawnGraceMs) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_GRPC_PORT = 50051;
  public static final int DEFAULT_HTTP_PORT = 8080;
  public static final long DEFAULT_SPAWN_GRACE_MS = 15_000;

  public static GatewayConfig from(JsonObject json) {
    List<String> problems = new ArrayList<>();
    String host = json.getValue("host", DEFAULT_HOST) instanceof String s && !s.isBlank() ? s : null;
    if (host == null) {
      problems.add("host must be a non-empty string, got " + json.getValue("host"));
    }
    int grpcPort = port(json, "grpcPort", DEFAULT_GRPC_PORT, problems);
    int httpPort = port(json, "httpPort", DEFAULT_HTTP_PORT, problems);
    Object grace = json.getValue("spawnGraceMs", DEFAULT_SPAWN_GRACE_MS);
    if (!(grace instanceof Number n) || n.longValue() <= 0) {
      problems.add("spawnGraceMs must be a positive number, got " + grace);
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("gateway config: " + String.join("; ", problems));
    }
    return new GatewayConfig(host, grpcPort, httpPort, ((Number) grace).longValue());
  }

  private static int port(JsonObject json, String key, int fallback, List<String> problems) {
    Object value = json.getValue(key, fallback);
    if (!(value instanceof Number n) || n.intValue() < 0 || n.intValue() > 65535) {
      problems.add(key + " must be a port number 0-65535, got " + value);
      return fallback;
    }
    return n.intValue();
  }
}
