package dev.phantom.gateway.cli;

import com.google.protobuf.ByteString;
import dev.phantom.gateway.client.SandboxClient;
import dev.phantom.proto.store.v1.CollectGarbageRequest;
import dev.phantom.proto.store.v1.DeleteTagRequest;
import dev.phantom.proto.store.v1.DeleteTagResponse;
import dev.phantom.proto.store.v1.FragmentStoreApiGrpcClient;
import dev.phantom.proto.store.v1.GcReport;
import dev.phantom.proto.store.v1.ImportCall;
import dev.phantom.proto.store.v1.ImportHeader;
import dev.phantom.proto.store.v1.ImportReply;
import dev.phantom.proto.store.v1.ImportRequest;
import dev.phantom.proto.store.v1.ImportResult;
import dev.phantom.proto.store.v1.ListTagsRequest;
import dev.phantom.proto.store.v1.StatsRequest;
import dev.phantom.proto.store.v1.StoreStats;
import dev.phantom.proto.store.v1.TagList;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.support.mesh.MeshOptions;
import dev.phantom.support.mesh.PhantomNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * How {@code phantom image} reaches a store: a store role started in this process on the local data
 * directory (reading the source in place, with the caller's own rights), or a running gateway (the
 * archive is streamed to it). The first fails with FAILED_PRECONDITION while another process (a
 * running {@code phantom up}) holds the directory; its message says to use {@code --gateway}.
 */
interface ImageClient extends AutoCloseable {

  ImportResult importPath(Path source, String name) throws Exception;

  TagList list();

  void remove(String name);

  StoreStats stats();

  GcReport collectGarbage();

  @Override
  void close();

  /** @param storeDir the local store's data directory; null for the default */
  static ImageClient open(String gateway, String apiKey, Path storeDir) {
    if (gateway != null && !gateway.isBlank()) {
      return new Remote(SandboxClient.address(gateway), apiKey);
    }
    return new Local(storeDir);
  }

  /** Calls a store role of this process over the event bus. */
  final class Local implements ImageClient {
    private static final long TIMEOUT_MS = 6 * 3_600_000L;
    private final PhantomNode node;

    Local(Path storeDir) {
      // The CLI reads the source with the user's own rights, so any path they name may be read.
      JsonObject store = new JsonObject().put("importRoots", new JsonArray().add("/"));
      if (storeDir != null) {
        store.put("dataDir", storeDir.toAbsolutePath().toString());
      }
      node = await(PhantomNode.start(MeshOptions.embedded(), List.of("store"), new JsonObject().put("store", store)));
    }

    private <R extends com.google.protobuf.MessageLite> R call(String address, com.google.protobuf.MessageLite request,
        com.google.protobuf.Parser<R> parser) {
      return await(BusRpc.request(node.mesh().vertx().eventBus(), address, request, parser, TIMEOUT_MS));
    }

    @Override
    public ImportResult importPath(Path source, String name) {
      if (!Files.exists(source)) {
        throw PhantomException.invalidArgument(source + ": no such file or directory");
      }
      return call(Addresses.STORE_IMPORT, ImportCall.newBuilder().setBegin(ImportHeader.newBuilder().setName(name)
          .setHostPath(source.toAbsolutePath().normalize().toString())).build(), ImportReply.parser()).getResult();
    }

    @Override
    public TagList list() {
      return call(Addresses.STORE_TAG_LIST, ListTagsRequest.getDefaultInstance(), TagList.parser());
    }

    @Override
    public void remove(String name) {
      call(Addresses.STORE_TAG_DELETE, DeleteTagRequest.newBuilder().setTag(name).build(), DeleteTagResponse.parser());
    }

    @Override
    public StoreStats stats() {
      return call(Addresses.STORE_STATS, StatsRequest.getDefaultInstance(), StoreStats.parser());
    }

    @Override
    public GcReport collectGarbage() {
      return call(Addresses.STORE_GC, CollectGarbageRequest.getDefaultInstance(), GcReport.parser());
    }

    @Override
    public void close() {
      await(node.close());
    }
  }

  /** Calls {@code phantom.store.v1.FragmentStoreApi} on a running gateway. */
  final class Remote implements ImageClient {
    /** Bytes per data message of an upload. */
    static final int PIECE = 1 << 20;
    private final Vertx vertx = Vertx.vertx();
    private final GrpcClient client = GrpcClient.client(vertx, new GrpcClientOptions()
        .setMaxMessageSize(SandboxClient.MAX_MESSAGE_BYTES));
    private final io.vertx.core.Context context = vertx.getOrCreateContext();
    private final SocketAddress server;
    private final String apiKey;

    Remote(SocketAddress server, String apiKey) {
      this.server = server;
      this.apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
    }

    private <Q, R> Future<GrpcClientRequest<Q, R>> request(ServiceMethod<R, Q> method) {
      return client.request(server, method).map(request -> {
        if (apiKey != null) {
          request.headers().set("authorization", "Bearer " + apiKey);
        }
        return request;
      });
    }

    /**
     * Starts a call on this client's event loop and reads its reply there, as SandboxClient does: from
     * another thread, a reply that ends at once could end before the handlers reading it were set.
     */
    private <T> Future<T> onContext(java.util.function.Supplier<Future<T>> call) {
      Promise<T> outcome = Promise.promise();
      context.runOnContext(v -> call.get().onComplete(outcome));
      return outcome.future();
    }

    private <Q, R> R unary(ServiceMethod<R, Q> method, Q message) {
      return await(onContext(() -> request(method).compose(request -> {
        Future<R> reply = reply(request);
        request.end(message);
        return reply;
      })));
    }

    private static <R> Future<R> reply(GrpcClientRequest<?, R> request) {
      return request.response().compose(response -> {
        Promise<R> last = Promise.promise();
        Object[] message = new Object[1];
        response.handler(m -> message[0] = m);
        response.exceptionHandler(last::tryFail);
        response.endHandler(v -> {
          if (response.status() == GrpcStatus.OK) {
            @SuppressWarnings("unchecked")
            R r = (R) message[0];
            last.tryComplete(r);
          } else {
            last.tryFail(new PhantomException(response.status(), response.statusMessage()));
          }
        });
        return last.future();
      });
    }

    @Override
    public ImportResult importPath(Path source, String name) throws Exception {
      if (Files.isDirectory(source)) {
        throw PhantomException.invalidArgument(source + " is a directory: a gateway takes archives; tar it first"
            + " (tar -C " + source + " -cf image.tar .) or import it without --gateway");
      }
      if (!Files.isRegularFile(source)) {
        throw PhantomException.invalidArgument(source + ": no such file");
      }
      @SuppressWarnings("unchecked")
      Future<ImportResult>[] result = new Future[1];
      GrpcClientRequest<ImportRequest, ImportResult> request = await(onContext(
          () -> request(FragmentStoreApiGrpcClient.ImportImage).map(r -> {
            result[0] = reply(r);
            return r;
          })));
      await(request.write(ImportRequest.newBuilder().setHeader(ImportHeader.newBuilder().setName(name)).build()));
      try (InputStream in = Files.newInputStream(source)) {
        byte[] piece = new byte[PIECE];
        int n;
        while ((n = in.readNBytes(piece, 0, PIECE)) > 0) {
          Future<Void> written = request.write(ImportRequest.newBuilder().setData(ByteString.copyFrom(piece, 0, n)).build());
          if (request.writeQueueFull()) {
            CompletableFuture<Void> drained = new CompletableFuture<>();
            request.drainHandler(v -> drained.complete(null));
            if (request.writeQueueFull()) {
              drained.join();
            }
          }
          if (written.failed()) {
            await(written);
          }
        }
      }
      request.end();
      return await(result[0]);
    }

    @Override
    public TagList list() {
      return unary(FragmentStoreApiGrpcClient.ListTags, ListTagsRequest.getDefaultInstance());
    }

    @Override
    public void remove(String name) {
      unary(FragmentStoreApiGrpcClient.DeleteTag, DeleteTagRequest.newBuilder().setTag(name).build());
    }

    @Override
    public StoreStats stats() {
      return unary(FragmentStoreApiGrpcClient.Stats, StatsRequest.getDefaultInstance());
    }

    @Override
    public GcReport collectGarbage() {
      return unary(FragmentStoreApiGrpcClient.CollectGarbage, CollectGarbageRequest.getDefaultInstance());
    }

    @Override
    public void close() {
      await(client.close());
      await(vertx.close());
    }
  }

  static <T> T await(Future<T> future) {
    return future.toCompletionStage().toCompletableFuture().join();
  }
}
