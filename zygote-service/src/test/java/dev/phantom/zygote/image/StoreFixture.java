package dev.phantom.zygote.image;

import dev.phantom.proto.store.v1.ImportCall;
import dev.phantom.proto.store.v1.ImportHeader;
import dev.phantom.proto.store.v1.ImportReply;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.support.mesh.MeshOptions;
import dev.phantom.support.mesh.PhantomNode;
import dev.phantom.zygote.bus.ChunkPeerEndpoint;
import dev.phantom.zygote.bwrap.BwrapLauncher;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * A real fragment store (the store role on an embedded node, in this JVM) that imports host directories
 * from {@code <dir>/src}, and node caches talking to it over the event bus.
 */
final class StoreFixture implements AutoCloseable {

  final Path dir;
  final PhantomNode node;
  final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final List<NodeImages> peers = new java.util.ArrayList<>();

  StoreFixture(Path dir) throws IOException {
    this.dir = dir;
    Files.createDirectories(dir.resolve("src"));
    JsonObject store = new JsonObject().put("dataDir", dir.resolve("store").toString())
        .put("importRoots", new JsonArray().add(dir.resolve("src").toString()));
    node = await(PhantomNode.start(MeshOptions.embedded(), List.of("store"), new JsonObject().put("store", store)));
  }

  Vertx vertx() {
    return node.mesh().vertx();
  }

  /** A fresh directory under {@code src/} to fill and import. */
  Path source(String name) throws IOException {
    return Files.createDirectories(dir.resolve("src").resolve(name));
  }

  /** Imports a directory under {@code src/}; returns the manifest digest hex. */
  String importDir(Path source, String tag) {
    ImportReply reply = await(BusRpc.request(vertx().eventBus(), Addresses.STORE_IMPORT, ImportCall.newBuilder()
        .setUploadId(UUID.randomUUID().toString())
        .setBegin(ImportHeader.newBuilder().setName(tag).setHostPath(source.toString())).build(),
        ImportReply.parser(), 60_000));
    return reply.getResult().getManifestHex();
  }

  /** A node cache that answers the store's requests for chunks, as every zygote node's does; closed with the fixture. */
  NodeImages peer(String name) throws IOException {
    NodeImages images = openCache(name);
    peers.add(images);
    await(new ChunkPeerEndpoint(vertx().eventBus(), name, images).register());
    return images;
  }

  NodeImages openCache(String name) throws IOException {
    return openCache(name, new BusImageSource(vertx().eventBus()));
  }

  NodeImages openCache(String name, ImageSource source) throws IOException {
    return NodeImages.open(vertx(), dir.resolve(name), source, BwrapLauncher.runningAsRoot(), meters);
  }

  static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new CompletionException(e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    peers.forEach(NodeImages::close);
    await(node.close());
  }
}
