package dev.phantom.gateway;

import dev.phantom.gateway.core.ApiKeys;
import dev.phantom.support.config.ConfigReader;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The gateway's settings (section {@code gateway} of the node config).
 *
 * @param host address both servers bind to (default {@value #DEFAULT_HOST}: loopback only)
 * @param grpcPort gRPC port (default {@value #DEFAULT_GRPC_PORT}; 0 picks a free one)
 * @param httpPort HTTP port (default {@value #DEFAULT_HTTP_PORT}; 0 picks a free one)
 * @param spawnGraceMs how long past a run's timeout the gateway waits for its node before giving up
 *     with UNAVAILABLE (default {@value #DEFAULT_SPAWN_GRACE_MS})
 * @param allowHostWorkspaces whether a request may bind a host directory at /workspace
 *     ({@code host_workspace}); only for a gateway whose every client may touch the host's files,
 *     such as the CLI's own embedded mesh (default false)
 * @param maxMessageBytes largest gRPC message or HTTP body: requests carry files, results carry
 *     output and collected files (default {@value #DEFAULT_MAX_MESSAGE_BYTES})
 * @param apiKeys keys given inline by name and SHA-256
 *     ({@code apiKeys: [{name, sha256, salt?, ratePerSecond?, maxSandboxes?}]})
 * @param keysFile the keys file {@code phantom keys create} writes (default: none for the gateway
 *     role; the CLI's {@code up} and {@code node} pass {@code $PHANTOM_HOME/keys.json})
 * @param insecureLocal serve callers without an API key; only on a loopback address (default false)
 * @param rateLimitPerSecond requests a second per caller without a rate of its own (its key's, or
 *     its remote address when anonymous); 0 disables (default {@value #DEFAULT_RATE_LIMIT_PER_SECOND})
 * @param rateLimitBurst requests a caller may send at once (default {@value #DEFAULT_RATE_LIMIT_BURST})
 * @param auditLog JSON-lines audit file, rotated by size; empty: no audit log
 */
public record GatewayConfig(String host, int grpcPort, int httpPort, long spawnGraceMs, boolean allowHostWorkspaces,
    long maxMessageBytes, ApiKeys apiKeys, Optional<String> keysFile, boolean insecureLocal,
    long rateLimitPerSecond, long rateLimitBurst, Optional<String> auditLog) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_GRPC_PORT = 50051;
  public static final int DEFAULT_HTTP_PORT = 8080;
  public static final long DEFAULT_SPAWN_GRACE_MS = 15_000;
  public static final long DEFAULT_MAX_MESSAGE_BYTES = 64L << 20;
  public static final long DEFAULT_RATE_LIMIT_PER_SECOND = 100;
  public static final long DEFAULT_RATE_LIMIT_BURST = 200;

  public static GatewayConfig from(JsonObject json) {
    ConfigReader reader = new ConfigReader("gateway", json, List.of("host", "grpcPort", "httpPort", "spawnGraceMs",
        "allowHostWorkspaces", "maxMessageBytes", "apiKeys", "keysFile", "insecureLocal", "rateLimitPerSecond",
        "rateLimitBurst", "auditLog"));
    List<ApiKeys.ApiKey> keys = new ArrayList<>();
    for (JsonObject key : reader.objects("apiKeys")) {
      String name = key.getValue("name") instanceof String s && !s.isBlank() ? s : null;
      String digest = key.getValue("sha256") instanceof String s ? s.toLowerCase(Locale.ROOT) : "";
      String salt = key.getValue("salt") instanceof String s ? s.toLowerCase(Locale.ROOT) : "";
      if (name == null || !digest.matches("[0-9a-f]{64}") || !salt.matches("([0-9a-f]{2})*")) {
        reader.problem("apiKeys entries need a name and the key's sha256 as 64 hex digits (and an optional hex salt)");
      } else {
        keys.add(new ApiKeys.ApiKey(name, HexFormat.of().parseHex(salt), HexFormat.of().parseHex(digest),
            key.getValue("ratePerSecond") instanceof Number rate ? rate.doubleValue() : 0,
            key.getValue("maxSandboxes") instanceof Number max ? max.intValue() : 0));
      }
    }
    GatewayConfig config = new GatewayConfig(
        reader.string("host", DEFAULT_HOST),
        reader.port("grpcPort", DEFAULT_GRPC_PORT),
        reader.port("httpPort", DEFAULT_HTTP_PORT),
        reader.integer("spawnGraceMs", DEFAULT_SPAWN_GRACE_MS, 1, 600_000),
        reader.bool("allowHostWorkspaces", false),
        reader.integer("maxMessageBytes", DEFAULT_MAX_MESSAGE_BYTES, 1 << 16, 1L << 30),
        new ApiKeys(keys),
        reader.optionalString("keysFile"),
        reader.bool("insecureLocal", false),
        reader.integer("rateLimitPerSecond", DEFAULT_RATE_LIMIT_PER_SECOND, 0, 1_000_000),
        reader.integer("rateLimitBurst", DEFAULT_RATE_LIMIT_BURST, 1, 1_000_000),
        reader.optionalString("auditLog"));
    if (config.insecureLocal() && !isLoopback(config.host())) {
      reader.problem("insecureLocal serves callers without keys, so it is refused on " + config.host()
          + ", which other machines can reach: bind to 127.0.0.1 or configure API keys");
    }
    reader.validate();
    return config;
  }

  /**
   * Checks that someone can call this gateway once the keys file is read.
   *
   * @throws IllegalArgumentException when there are no keys and insecureLocal is off
   */
  public void requireKeysOrInsecureLocal(ApiKeys all) {
    if (all.isEmpty() && !insecureLocal) {
      throw new IllegalArgumentException("no API keys are configured: create one with "
          + "'phantom keys create --name NAME', or, on loopback only, start with --insecure-local to serve without keys");
    }
  }

  static boolean isLoopback(String host) {
    return host.equals("localhost") || host.equals("::1") || host.startsWith("127.");
  }
}
