package dev.phantom.store.bus;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.phantom.proto.store.v1.Chunk;
import dev.phantom.proto.store.v1.ChunkBatch;
import dev.phantom.proto.store.v1.CollectGarbageRequest;
import dev.phantom.proto.store.v1.DeleteTagRequest;
import dev.phantom.proto.store.v1.DeleteTagResponse;
import dev.phantom.proto.store.v1.GetChunksRequest;
import dev.phantom.proto.store.v1.GetManifestRequest;
import dev.phantom.proto.store.v1.HasChunksRequest;
import dev.phantom.proto.store.v1.HasChunksResponse;
import dev.phantom.proto.store.v1.ImportCall;
import dev.phantom.proto.store.v1.ImportReply;
import dev.phantom.proto.store.v1.ListTagsRequest;
import dev.phantom.proto.store.v1.Manifest;
import dev.phantom.proto.store.v1.PutChunksRequest;
import dev.phantom.proto.store.v1.PutChunksResponse;
import dev.phantom.proto.store.v1.PutManifestRequest;
import dev.phantom.proto.store.v1.PutManifestResponse;
import dev.phantom.proto.store.v1.ResolveTagRequest;
import dev.phantom.proto.store.v1.SetTagRequest;
import dev.phantom.proto.store.v1.StatsRequest;
import dev.phantom.proto.store.v1.TagInfo;
import dev.phantom.proto.store.v1.TagList;
import dev.phantom.store.ChunkPeers;
import dev.phantom.store.FragmentStore;
import dev.phantom.store.StoreHolder;
import dev.phantom.store.core.ChunkStore;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.StoreException;
import dev.phantom.store.core.TagName;
import dev.phantom.store.ingest.Importer;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;

/**
 * Serves the {@code phantom.store.*} addresses: maps {@code phantom.store.v1} messages to
 * {@link FragmentStore} calls, which block, on a worker pool of the store's own, and every failure to
 * a status ({@link StoreFailures}).
 */
public final class StoreBusEndpoint {

  /** Digests one GetChunks batch may ask for; the gateway asks in batches of this many. */
  public static final int MAX_GET_BATCH = 64;

  private final StoreHolder holder;
  private final WorkerExecutor blocking;
  private final ExecutorService ingestWorkers;
  private final String arch;
  private final Uploads uploads;
  private final ChunkPeers peers;

  /** Without peers: a corrupt chunk is DATA_LOSS at once. */
  public StoreBusEndpoint(StoreHolder holder, WorkerExecutor blocking, ExecutorService ingestWorkers, String arch) {
    this(holder, blocking, ingestWorkers, arch, ChunkPeers.NONE);
  }

  /** @param peers asked for verified copies of chunks found corrupt, before a read fails with DATA_LOSS */
  public StoreBusEndpoint(StoreHolder holder, WorkerExecutor blocking, ExecutorService ingestWorkers, String arch,
      ChunkPeers peers) {
    this.peers = peers;
    this.holder = holder;
    this.blocking = blocking;
    this.ingestWorkers = ingestWorkers;
    this.arch = arch;
    this.uploads = new Uploads(holder.config().maxUploadBytes());
  }

  public Future<Void> register(EventBus bus) {
    List<MessageConsumer<?>> consumers = new ArrayList<>();
    consumers.add(serve(bus, Addresses.STORE_CHUNKS_PUT, PutChunksRequest.parser(), this::putChunks));
    consumers.add(serve(bus, Addresses.STORE_CHUNKS_HAS, HasChunksRequest.parser(), r -> HasChunksResponse.newBuilder()
        .addAllPresent(store().hasChunks(digests(r.getDigestsList()))).build()));
    consumers.add(BusRpc.serve(bus, Addresses.STORE_CHUNKS_GET, GetChunksRequest.parser(), this::getChunks));
    consumers.add(serve(bus, Addresses.STORE_MANIFEST_PUT, PutManifestRequest.parser(), this::putManifest));
    consumers.add(serve(bus, Addresses.STORE_MANIFEST_GET, GetManifestRequest.parser(), this::getManifest));
    consumers.add(serve(bus, Addresses.STORE_TAG_SET, SetTagRequest.parser(), r -> {
      Digest manifest = digest(r.getManifest());
      return tagInfo(store().setTag(r.getTag(), manifest), manifest);
    }));
    consumers.add(serve(bus, Addresses.STORE_TAG_RESOLVE, ResolveTagRequest.parser(),
        r -> tagInfo(TagName.parse(r.getTag()), store().resolveTag(r.getTag()))));
    consumers.add(serve(bus, Addresses.STORE_TAG_LIST, ListTagsRequest.parser(), r -> {
      TagList.Builder out = TagList.newBuilder();
      for (Map.Entry<String, Digest> t : store().listTags().entrySet()) {
        out.addTags(tagInfo(t.getKey(), t.getValue()));
      }
      return out.build();
    }));
    consumers.add(serve(bus, Addresses.STORE_TAG_DELETE, DeleteTagRequest.parser(), r -> {
      store().deleteTag(r.getTag());
      return DeleteTagResponse.getDefaultInstance();
    }));
    consumers.add(serve(bus, Addresses.STORE_STATS, StatsRequest.parser(), r -> ProtoMapping.stats(store().stats())));
    consumers.add(serve(bus, Addresses.STORE_GC, CollectGarbageRequest.parser(),
        r -> ProtoMapping.gc(store().collectGarbage())));
    consumers.add(serve(bus, Addresses.STORE_IMPORT, ImportCall.parser(), this::importStep));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  /** Drops uploads nobody has sent to for a while. */
  public void expireUploads(long nowMs) {
    uploads.expire(nowMs - holder.config().uploadIdleMs());
  }

  public void close() {
    uploads.abortAll();
  }

  private <Q extends MessageLite, R extends MessageLite> MessageConsumer<?> serve(EventBus bus, String address,
      Parser<Q> parser, java.util.function.Function<Q, R> handler) {
    return BusRpc.serve(bus, address, parser, request -> run(() -> handler.apply(request)));
  }

  private <R> Future<R> run(Callable<R> work) {
    return blocking.<R>executeBlocking(work, false).recover(failure -> Future.failedFuture(StoreFailures.toPhantom(failure)));
  }

  private FragmentStore store() {
    return holder.get();
  }

  private PutChunksResponse putChunks(PutChunksRequest request) {
    FragmentStore store = store();
    PutChunksResponse.Builder out = PutChunksResponse.newBuilder();
    long written = 0;
    long stored = 0;
    for (Chunk chunk : request.getChunksList()) {
      ChunkStore.Put put = store.putChunk(chunk.getData().toByteArray(),
          chunk.getDigest().isEmpty() ? null : digest(chunk.getDigest()));
      out.addDigests(ByteString.copyFrom(put.digest().toBytes()));
      written += put.written() ? 1 : 0;
      stored += put.storedBytes();
    }
    store.syncChunks();
    return out.setWritten(written).setStoredBytes(stored).build();
  }

  /**
   * Reads the batch; chunks found corrupt (set aside by the read) are asked of the peers in one go, and
   * each verified copy is written back before it is served. A chunk no peer holds fails the batch with
   * DATA_LOSS, as it would without peers.
   */
  private Future<ChunkBatch> getChunks(GetChunksRequest request) {
    return run(() -> readBatch(request)).compose(read -> {
      if (read.corrupt().isEmpty()) {
        return Future.succeededFuture(read.build());
      }
      return peers.find(List.copyOf(read.corrupt().keySet())).compose(found -> run(() -> {
        FragmentStore store = store();
        for (Map.Entry<Digest, StoreException> lost : read.corrupt().entrySet()) {
          ChunkPeers.Found copy = found.get(lost.getKey());
          if (copy == null) {
            throw new StoreException(StoreException.Reason.CORRUPT, lost.getValue().getMessage()
                + "; no zygote node holds a verified copy");
          }
          store.repairChunk(lost.getKey(), copy.data(), copy.peer());
          read.fill(lost.getKey(), copy.data());
        }
        return read.build();
      }));
    });
  }

  private Batch readBatch(GetChunksRequest request) {
    if (request.getDigestsCount() > MAX_GET_BATCH) {
      throw StoreException.invalid("at most " + MAX_GET_BATCH + " chunks per batch, got " + request.getDigestsCount());
    }
    FragmentStore store = store();
    Batch batch = new Batch(digests(request.getDigestsList()));
    for (int i = 0; i < batch.digests.size(); i++) {
      Digest d = batch.digests.get(i);
      if (batch.corrupt.containsKey(d)) {
        continue; // asked twice: filled with the first
      }
      try {
        batch.data[i] = store.getChunk(d);
      } catch (StoreException e) {
        if (e.reason() != StoreException.Reason.CORRUPT) {
          throw e;
        }
        batch.corrupt.put(d, e);
      }
    }
    return batch;
  }

  /** A GetChunks batch being read: the bytes so far, and the chunks found corrupt. */
  private static final class Batch {
    final List<Digest> digests;
    final byte[][] data;
    final Map<Digest, StoreException> corrupt = new java.util.LinkedHashMap<>();

    Batch(List<Digest> digests) {
      this.digests = digests;
      this.data = new byte[digests.size()][];
    }

    Map<Digest, StoreException> corrupt() {
      return corrupt;
    }

    void fill(Digest digest, byte[] bytes) {
      for (int i = 0; i < digests.size(); i++) {
        if (data[i] == null && digests.get(i).equals(digest)) {
          data[i] = bytes;
        }
      }
    }

    ChunkBatch build() {
      ChunkBatch.Builder out = ChunkBatch.newBuilder();
      for (int i = 0; i < digests.size(); i++) {
        out.addChunks(Chunk.newBuilder().setDigest(ByteString.copyFrom(digests.get(i).toBytes()))
            .setData(ByteString.copyFrom(data[i])));
      }
      return out.build();
    }
  }

  private PutManifestResponse putManifest(PutManifestRequest request) {
    Digest root = digest(request.getRoot());
    List<byte[]> trees = request.getTreesList().stream().map(ByteString::toByteArray).toList();
    store().putManifest(trees, root);
    return PutManifestResponse.newBuilder().setRoot(request.getRoot()).setRootHex(root.hex()).build();
  }

  private Manifest getManifest(GetManifestRequest request) {
    FragmentStore store = store();
    Digest root = request.hasTag() ? store.resolveTag(request.getTag()) : digest(request.getRoot());
    Manifest.Builder out = Manifest.newBuilder().setRoot(ByteString.copyFrom(root.toBytes()));
    store.getManifest(root).forEach(tree -> out.addTrees(ByteString.copyFrom(tree)));
    return out.build();
  }

  private ImportReply importStep(ImportCall call) {
    long now = System.currentTimeMillis();
    String id = call.getUploadId();
    switch (call.getStepCase()) {
      case BEGIN -> {
        String name = TagName.parse(call.getBegin().getName());
        if (!call.getBegin().getHostPath().isEmpty()) {
          Path source = allowedHostPath(call.getBegin().getHostPath());
          return ImportReply.newBuilder().setResult(ProtoMapping.result(importer().importPath(source, name))).build();
        }
        uploads.begin(id, name, store().root().resolve("tmp"), now);
        return ImportReply.getDefaultInstance();
      }
      case DATA -> {
        uploads.append(id, call.getData().toByteArray(), now);
        return ImportReply.getDefaultInstance();
      }
      case END -> {
        Uploads.Upload upload = uploads.end(id);
        try {
          return ImportReply.newBuilder().setResult(ProtoMapping.result(importer().importPath(upload.spool(),
              upload.name()))).build();
        } finally {
          Uploads.delete(upload);
        }
      }
      case ABORT -> {
        uploads.abort(id);
        return ImportReply.getDefaultInstance();
      }
      default -> throw StoreException.invalid("an import step must be begin, data, end or abort");
    }
  }

  private Importer importer() {
    return new Importer(store(), ingestWorkers, arch);
  }

  /** Server-side paths only under importRoots, after resolving symlinks: the store may see more than its caller. */
  private Path allowedHostPath(String raw) {
    Path path = Path.of(raw);
    if (!path.isAbsolute()) {
      throw StoreException.invalid("host path must be absolute: " + raw);
    }
    Path real;
    try {
      real = path.toRealPath();
    } catch (IOException e) {
      throw StoreException.invalid(raw + ": no such file or directory");
    }
    for (Path root : holder.config().importRoots()) {
      if (real.startsWith(root)) {
        return real;
      }
    }
    throw new PhantomException(GrpcStatus.PERMISSION_DENIED, "the store may not read " + raw + " (importRoots: "
        + holder.config().importRoots() + "); upload the archive instead");
  }

  private static Digest digest(ByteString bytes) {
    if (bytes.size() != Digest.BYTES) {
      throw StoreException.invalid("a digest has " + Digest.BYTES + " bytes, got " + bytes.size());
    }
    return Digest.fromBytes(bytes.toByteArray());
  }

  private static List<Digest> digests(List<ByteString> list) {
    return list.stream().map(StoreBusEndpoint::digest).toList();
  }

  private TagInfo tagInfo(String tag, Digest manifest) {
    return TagInfo.newBuilder().setTag(tag).setManifest(ByteString.copyFrom(manifest.toBytes()))
        .setManifestHex(manifest.hex()).setLogicalBytes(store().logicalBytes(manifest)).build();
  }
}
