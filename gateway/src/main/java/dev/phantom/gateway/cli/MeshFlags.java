package dev.phantom.gateway.cli;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Flags every command that starts a node shares. */
final class MeshFlags {

  @Option(names = "--config", paramLabel = "FILE",
      description = "JSON node config: one object per role (gateway, zygote, policy, orchestrator).")
  Path configFile;

  @Option(names = "--host", description = "Address the gateway binds to (default: ${DEFAULT-VALUE}).",
      defaultValue = "127.0.0.1")
  String host;

  @Option(names = "--grpc-port", description = "gRPC port (default: ${DEFAULT-VALUE}; 0 picks a free one).",
      defaultValue = "50051")
  int grpcPort;

  @Option(names = "--http-port", description = "HTTP port (default: ${DEFAULT-VALUE}; 0 picks a free one).",
      defaultValue = "8080")
  int httpPort;

  /** The file's config with the flags applied on top. */
  JsonObject config() throws IOException {
    JsonObject config = configFile == null ? new JsonObject() : new JsonObject(Files.readString(configFile));
    JsonObject gateway = config.getJsonObject("gateway", new JsonObject());
    config.put("gateway", gateway.put("host", host).put("grpcPort", grpcPort).put("httpPort", httpPort));
    return config;
  }
}
