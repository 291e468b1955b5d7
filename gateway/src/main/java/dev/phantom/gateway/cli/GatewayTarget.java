package dev.phantom.gateway.cli;

import dev.phantom.gateway.GatewayVerticle;
import dev.phantom.gateway.client.SandboxClient;
import dev.phantom.gateway.core.ApiKeys;
import dev.phantom.support.mesh.MeshOptions;
import dev.phantom.support.mesh.PhantomNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;

/**
 * Where a CLI command sends its calls: a running gateway ({@code --gateway} or PHANTOM_GATEWAY, with the
 * key from {@code --api-key} or PHANTOM_API_KEY), or else a private mesh started in this process for
 * the command's lifetime. The private mesh listens on loopback on kernel-chosen ports and accepts only a
 * random key made at its start, so no other local user can borrow it (it may bind host directories).
 */
final class GatewayTarget implements AutoCloseable {

  private final Vertx vertx;
  private final PhantomNode node;
  private final SandboxClient client;
  private final Path stateDir;

  private GatewayTarget(Vertx vertx, PhantomNode node, SandboxClient client, Path stateDir) {
    this.vertx = vertx;
    this.node = node;
    this.client = client;
    this.stateDir = stateDir;
  }

  /**
   * @param gateway {@code host:port} of a running gateway, or null/blank for a private mesh
   * @param hostWorkspaces whether the private mesh may bind host directories at /workspace
   */
  static GatewayTarget open(String gateway, String apiKey, boolean hostWorkspaces) {
    if (gateway != null && !gateway.isBlank()) {
      Vertx vertx = Vertx.vertx();
      String key = apiKey == null || apiKey.isBlank() ? null : apiKey;
      return new GatewayTarget(vertx, null, new SandboxClient(vertx, SandboxClient.address(gateway), key), null);
    }
    byte[] secret = new byte[24];
    new SecureRandom().nextBytes(secret);
    String key = "pf_local_" + HexFormat.of().formatHex(secret);
    // Its own zygote state, so that it runs beside a 'phantom up' on the same host (one owner per state dir).
    Path stateDir = Path.of(System.getProperty("java.io.tmpdir"), "phantom-cli-" + ProcessHandle.current().pid());
    JsonObject config = new JsonObject()
        .put("gateway", new JsonObject()
            .put("grpcPort", 0).put("httpPort", 0)
            .put("allowHostWorkspaces", hostWorkspaces)
            .put("rateLimitPerSecond", 0)
            .put("apiKeys", new JsonArray().add(new JsonObject().put("name", "cli").put("sha256", ApiKeys.sha256Hex(key)))))
        // No warm pools: this mesh lives for one command, which would only wait for slots it never uses.
        .put("zygote", new JsonObject().put("stateDir", stateDir.toString()).put("pools", new JsonArray()));
    PhantomNode node = await(PhantomNode.start(MeshOptions.embedded(), List.of(), config));
    int port = node.service(GatewayVerticle.class).orElseThrow().grpcPort();
    return new GatewayTarget(null, node,
        new SandboxClient(node.mesh().vertx(), SocketAddress.inetSocketAddress(port, "127.0.0.1"), key), stateDir);
  }

  SandboxClient client() {
    return client;
  }

  @Override
  public void close() {
    await(client.close());
    await(node != null ? node.close() : vertx.close());
    if (stateDir != null) {
      deleteTree(stateDir);
    }
  }

  /** The private zygote's state dir; its stop already removed every sandbox's files, cgroups and mounts. */
  private static void deleteTree(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // Nothing of a sandbox is left in it; a stale empty directory in the temp dir is harmless.
    }
  }

  static <T> T await(Future<T> future) {
    return future.toCompletionStage().toCompletableFuture().join();
  }
}
