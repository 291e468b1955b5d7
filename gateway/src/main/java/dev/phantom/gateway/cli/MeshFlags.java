package dev.phantom.gateway.cli;

import dev.phantom.gateway.access.KeyStore;
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

  @Option(names = "--insecure-local",
      description = "Serve callers without an API key. Only on a loopback --host; for trying things out.")
  boolean insecureLocal;

  @Option(names = "--keys-file", paramLabel = "FILE",
      description = "Keys made by 'phantom keys create' (default: $PHANTOM_HOME/keys.json, ~/.phantom/keys.json).")
  Path keysFile;

  @Option(names = "--audit-log", paramLabel = "FILE",
      description = "Audit log, JSON lines (default: $PHANTOM_HOME/audit.log).")
  Path auditLog;

  @Option(names = "--state-dir", paramLabel = "DIR", defaultValue = "${env:PHANTOM_STATE_DIR}",
      description = "The zygote's state directory; one zygote per directory (default: $PHANTOM_STATE_DIR, else /run/phantom).")
  Path stateDir;

  /** The file's config with the flags applied on top. */
  JsonObject config() throws IOException {
    JsonObject config = configFile == null ? new JsonObject() : new JsonObject(Files.readString(configFile));
    if (stateDir != null) {
      config.put("zygote", config.getJsonObject("zygote", new JsonObject()).put("stateDir", stateDir.toString()));
    }
    JsonObject gateway = config.getJsonObject("gateway", new JsonObject());
    config.put("gateway", gateway.put("host", host).put("grpcPort", grpcPort).put("httpPort", httpPort)
        .put("insecureLocal", insecureLocal || gateway.getBoolean("insecureLocal", false))
        .put("keysFile", (keysFile != null ? keysFile : KeyStore.defaultFile()).toString())
        .put("auditLog", (auditLog != null ? auditLog : KeyStore.home().resolve("audit.log")).toString()));
    return config;
  }
}
