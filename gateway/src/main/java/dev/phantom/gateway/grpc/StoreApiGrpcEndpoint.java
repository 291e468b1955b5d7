package dev.phantom.gateway.grpc;

import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.phantom.proto.store.v1.Chunk;
import dev.phantom.proto.store.v1.ChunkBatch;
import dev.phantom.proto.store.v1.DeleteTagResponse;
import dev.phantom.proto.store.v1.FragmentStoreApiGrpcService;
import dev.phantom.proto.store.v1.GcReport;
import dev.phantom.proto.store.v1.GetChunksRequest;
import dev.phantom.proto.store.v1.HasChunksResponse;
import dev.phantom.proto.store.v1.ImportCall;
import dev.phantom.proto.store.v1.ImportReply;
import dev.phantom.proto.store.v1.ImportRequest;
import dev.phantom.proto.store.v1.ImportResult;
import dev.phantom.proto.store.v1.Manifest;
import dev.phantom.proto.store.v1.PutChunksRequest;
import dev.phantom.proto.store.v1.PutChunksResponse;
import dev.phantom.proto.store.v1.PutManifestResponse;
import dev.phantom.proto.store.v1.StoreStats;
import dev.phantom.proto.store.v1.TagInfo;
import dev.phantom.proto.store.v1.TagList;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.EventBus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * {@code phantom.store.v1.FragmentStoreApi} on the public gRPC server: a proxy to the store role over
 * the event bus ({@code phantom.store.*}). Streams become one bus request per message, one at a time
 * (the client stream is paused meanwhile), so memory stays bounded by one message; GetChunks asks in
 * batches and waits for the client to drain. The store's statuses pass through unchanged.
 */
public final class StoreApiGrpcEndpoint {

  static final long TIMEOUT_MS = 60_000;
  /** Imports and collections run for minutes on large images. */
  static final long LONG_TIMEOUT_MS = 6 * 3_600_000L;
  /** Matches the store's per-batch limit. */
  static final int GET_BATCH = 64;

  private final EventBus bus;
  private final GrpcCalls calls;

  public StoreApiGrpcEndpoint(EventBus bus, GrpcCalls calls) {
    this.bus = bus;
    this.calls = calls;
  }

  public void bind(GrpcServer server) {
    unary(server, FragmentStoreApiGrpcService.HasChunks, Addresses.STORE_CHUNKS_HAS, HasChunksResponse.parser(),
        TIMEOUT_MS);
    unary(server, FragmentStoreApiGrpcService.PutManifest, Addresses.STORE_MANIFEST_PUT,
        PutManifestResponse.parser(), TIMEOUT_MS);
    unary(server, FragmentStoreApiGrpcService.GetManifest, Addresses.STORE_MANIFEST_GET, Manifest.parser(), TIMEOUT_MS);
    unary(server, FragmentStoreApiGrpcService.SetTag, Addresses.STORE_TAG_SET, TagInfo.parser(), TIMEOUT_MS);
    unary(server, FragmentStoreApiGrpcService.ResolveTag, Addresses.STORE_TAG_RESOLVE, TagInfo.parser(), TIMEOUT_MS);
    unary(server, FragmentStoreApiGrpcService.ListTags, Addresses.STORE_TAG_LIST, TagList.parser(), TIMEOUT_MS);
    unary(server, FragmentStoreApiGrpcService.DeleteTag, Addresses.STORE_TAG_DELETE, DeleteTagResponse.parser(),
        TIMEOUT_MS);
    unary(server, FragmentStoreApiGrpcService.Stats, Addresses.STORE_STATS, StoreStats.parser(), LONG_TIMEOUT_MS);
    unary(server, FragmentStoreApiGrpcService.CollectGarbage, Addresses.STORE_GC, GcReport.parser(), LONG_TIMEOUT_MS);
    server.callHandler(FragmentStoreApiGrpcService.PutChunks, calls.admitted(this::putChunks));
    server.callHandler(FragmentStoreApiGrpcService.GetChunks, calls.admitted(this::getChunks));
    server.callHandler(FragmentStoreApiGrpcService.ImportImage, calls.admitted(this::importImage));
  }

  private <Q extends MessageLite, R extends MessageLite> void unary(GrpcServer server,
      io.vertx.grpc.common.ServiceMethod<Q, R> method, String address, Parser<R> parser, long timeoutMs) {
    server.callHandler(method, calls.<Q, R>unary((caller, request) -> BusRpc.request(bus, address, request, parser,
        timeoutMs)));
  }

  private void putChunks(GrpcServerRequest<PutChunksRequest, PutChunksResponse> call, String caller,
      Consumer<String> ended) {
    PutChunksResponse.Builder total = PutChunksResponse.newBuilder();
    Sequence sequence = new Sequence(call);
    call.handler(batch -> sequence.then(() -> BusRpc.request(bus, Addresses.STORE_CHUNKS_PUT, batch,
        PutChunksResponse.parser(), TIMEOUT_MS).map(reply -> {
          total.addAllDigests(reply.getDigestsList()).setWritten(total.getWritten() + reply.getWritten())
              .setStoredBytes(total.getStoredBytes() + reply.getStoredBytes());
          return null;
        })));
    call.endHandler(end -> sequence.done().onComplete(ok -> {
      call.response().end(total.build());
      ended.accept("OK");
    }, failure -> ended.accept(GrpcCalls.fail(call.response(), failure))));
  }

  private void getChunks(GrpcServerRequest<GetChunksRequest, Chunk> call, String caller, Consumer<String> ended) {
    GrpcCalls.whenReceived(call, ended, request -> {
      GrpcServerResponse<GetChunksRequest, Chunk> response = call.response();
      Future<Void> chain = Future.succeededFuture();
      List<com.google.protobuf.ByteString> all = request.getDigestsList();
      for (int from = 0; from < all.size(); from += GET_BATCH) {
        GetChunksRequest batch = GetChunksRequest.newBuilder()
            .addAllDigests(all.subList(from, Math.min(all.size(), from + GET_BATCH))).build();
        chain = chain.compose(v -> BusRpc.request(bus, Addresses.STORE_CHUNKS_GET, batch, ChunkBatch.parser(),
            TIMEOUT_MS)).compose(chunks -> {
              chunks.getChunksList().forEach(response::write);
              return drained(response);
            });
      }
      chain.onComplete(ok -> {
        response.end();
        ended.accept("OK");
      }, failure -> ended.accept(GrpcCalls.fail(response, failure)));
    });
  }

  private static Future<Void> drained(GrpcServerResponse<?, ?> response) {
    if (!response.writeQueueFull()) {
      return Future.succeededFuture();
    }
    Promise<Void> drained = Promise.promise();
    response.drainHandler(v -> drained.tryComplete());
    response.exceptionHandler(drained::tryFail);
    return drained.future();
  }

  /** Header first; then a host path imports at once, or data messages are uploaded one by one. */
  private void importImage(GrpcServerRequest<ImportRequest, ImportResult> call, String caller, Consumer<String> ended) {
    String id = UUID.randomUUID().toString();
    Sequence sequence = new Sequence(call);
    boolean[] begun = {false};
    ImportResult[] result = {null};
    call.handler(part -> sequence.then(() -> {
      if (!begun[0]) {
        if (!part.hasHeader()) {
          return Future.failedFuture(PhantomException.invalidArgument("the first message of an import is its header"));
        }
        begun[0] = true;
        return step(ImportCall.newBuilder().setUploadId(id).setBegin(part.getHeader()).build(), result);
      }
      if (!part.hasData()) {
        return Future.failedFuture(PhantomException.invalidArgument("only data may follow an import's header"));
      }
      if (result[0] != null) {
        return Future.failedFuture(PhantomException.invalidArgument("an import from a host path takes no data"));
      }
      return step(ImportCall.newBuilder().setUploadId(id).setData(part.getData()).build(), result);
    }));
    GrpcCalls.cancellationOf(call).onSuccess(v -> BusRpc.send(bus, Addresses.STORE_IMPORT,
        ImportCall.newBuilder().setUploadId(id).setAbort(true).build()));
    call.endHandler(end -> sequence.done()
        .compose(v -> {
          if (!begun[0]) {
            return Future.failedFuture(PhantomException.invalidArgument("no import header was sent"));
          }
          return result[0] != null ? Future.succeededFuture()
              : step(ImportCall.newBuilder().setUploadId(id).setEnd(true).build(), result);
        })
        .onComplete(ok -> {
          call.response().end(result[0]);
          ended.accept("OK");
        }, failure -> {
          BusRpc.send(bus, Addresses.STORE_IMPORT, ImportCall.newBuilder().setUploadId(id).setAbort(true).build());
          ended.accept(GrpcCalls.fail(call.response(), failure));
        }));
  }

  private Future<Void> step(ImportCall call, ImportResult[] result) {
    return BusRpc.request(bus, Addresses.STORE_IMPORT, call, ImportReply.parser(), LONG_TIMEOUT_MS).map(reply -> {
      if (reply.hasResult()) {
        result[0] = reply.getResult();
      }
      return null;
    });
  }

  /**
   * Runs the bus requests of a client stream one after another, pausing the stream while one is in
   * flight; after the first failure the rest are skipped and {@link #done} fails with it.
   */
  private static final class Sequence {
    private final GrpcServerRequest<?, ?> call;
    private Future<Void> last = Future.succeededFuture();

    Sequence(GrpcServerRequest<?, ?> call) {
      this.call = call;
    }

    void then(java.util.function.Supplier<Future<Void>> step) {
      call.pause();
      last = last.compose(v -> step.get()).andThen(done -> call.resume());
    }

    Future<Void> done() {
      return last;
    }
  }
}
