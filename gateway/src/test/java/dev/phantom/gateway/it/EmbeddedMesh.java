package dev.phantom.gateway.it;

import dev.phantom.api.v1.RunEvent;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.gateway.GatewayVerticle;
import dev.phantom.gateway.client.SandboxClient;
import dev.phantom.support.mesh.MeshOptions;
import dev.phantom.support.mesh.PhantomNode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** The whole mesh in this JVM on free loopback ports, with a client of its public gRPC API. */
public final class EmbeddedMesh implements AutoCloseable {

  public final PhantomNode node;
  public final SandboxClient client;
  public final int grpcPort;
  public final int httpPort;
  /** The zygote's state directory: each mesh has its own. */
  public final java.nio.file.Path stateDir;
  /** Made here (no stateDir in the config), so removed at close; a test's own directory stays its own. */
  private final boolean ownStateDir;

  private EmbeddedMesh(PhantomNode node, java.nio.file.Path stateDir, boolean ownStateDir) {
    this.node = node;
    this.stateDir = stateDir;
    this.ownStateDir = ownStateDir;
    GatewayVerticle gateway = node.service(GatewayVerticle.class).orElseThrow();
    this.grpcPort = gateway.grpcPort();
    this.httpPort = gateway.httpPort();
    this.client = new SandboxClient(node.mesh().vertx(), SocketAddress.inetSocketAddress(grpcPort, "127.0.0.1"));
  }

  public static EmbeddedMesh start() {
    return start(new JsonObject());
  }

  /** @param extra node config merged over the test defaults (free ports); a "gateway" section is merged key by key */
  public static EmbeddedMesh start(JsonObject extra) {
    JsonObject gateway = new JsonObject().put("grpcPort", 0).put("httpPort", 0).put("insecureLocal", true)
        .mergeIn(extra.getJsonObject("gateway", new JsonObject()));
    // Each mesh its own zygote state dir: one owner per state dir, and a test JVM may hold several meshes.
    // No warm pools unless a test asks: most tests count sandboxes, cgroups and processes.
    boolean own = !extra.getJsonObject("zygote", new JsonObject()).containsKey("stateDir");
    JsonObject zygote = new JsonObject().put("pools", new JsonArray()).mergeIn(extra.getJsonObject("zygote", new JsonObject()));
    if (own) {
      zygote.put("stateDir", freshStateDir().toString());
    }
    JsonObject config = extra.copy().put("gateway", gateway).put("zygote", zygote);
    return new EmbeddedMesh(await(PhantomNode.start(MeshOptions.embedded(), List.of(), config)),
        java.nio.file.Path.of(zygote.getString("stateDir")), own);
  }

  private static java.nio.file.Path freshStateDir() {
    try {
      return java.nio.file.Files.createTempDirectory("phantom-it-state");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public RunResult run(RunRequest request) {
    return await(client.run(request));
  }

  public RunResult runStream(RunRequest request, Consumer<RunEvent> onEvent) {
    return await(client.runStream(request, onEvent));
  }

  public static RunRequest request(String profile, String... argv) {
    return RunRequest.newBuilder().setProfile(profile).addAllArgv(List.of(argv)).build();
  }

  public static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The node's warm pools, as the zygote reports them over the bus. */
  public dev.phantom.proto.zygote.v1.PoolStates pools() {
    return await(dev.phantom.support.bus.BusRpc.request(node.mesh().vertx().eventBus(),
        dev.phantom.support.bus.Addresses.zygotePoolsGet(node.mesh().membership().selfId()),
        dev.phantom.proto.zygote.v1.GetPoolsRequest.getDefaultInstance(),
        dev.phantom.proto.zygote.v1.PoolStates.parser(), 10_000));
  }

  /** Waits (up to 60 s) until the node holds an idle warm slot of {@code profile}, so the next run of it is warm. */
  public void awaitIdleSlot(String profile) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      dev.phantom.proto.zygote.v1.PoolStates states = pools();
      if (states.getPoolsList().stream().anyMatch(p -> p.getProfile().equals(profile) && p.getIdle() > 0)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no idle " + profile + " slot within 60 s: " + states);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for a warm slot", e);
      }
    }
  }

  @Override
  public void close() {
    await(node.close());
    if (ownStateDir) {
      dev.phantom.support.testing.TempDirs.deleteQuietly(stateDir);
    }
  }
}
