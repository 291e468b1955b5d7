package dev.phantom.zygote.image;

import com.google.protobuf.ByteString;
import dev.phantom.proto.store.v1.Chunk;
import dev.phantom.proto.store.v1.ChunkBatch;
import dev.phantom.proto.store.v1.GetChunksRequest;
import dev.phantom.proto.store.v1.GetManifestRequest;
import dev.phantom.proto.store.v1.Manifest;
import dev.phantom.proto.store.v1.ResolveTagRequest;
import dev.phantom.proto.store.v1.TagInfo;
import dev.phantom.store.core.Digest;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import java.util.List;

/** {@link ImageSource} over the store's {@code phantom.store.*} addresses; failures keep the store's status. */
public final class BusImageSource implements ImageSource {

  /** A batch of 64 chunks of at most 256 KiB is 16 MiB: generous for a loaded store. */
  static final long TIMEOUT_MS = 60_000;

  private final EventBus bus;

  public BusImageSource(EventBus bus) {
    this.bus = bus;
  }

  @Override
  public Future<Digest> resolve(String tag) {
    return BusRpc.request(bus, Addresses.STORE_TAG_RESOLVE, ResolveTagRequest.newBuilder().setTag(tag).build(),
        TagInfo.parser(), TIMEOUT_MS).map(info -> Digest.fromBytes(info.getManifest().toByteArray()));
  }

  @Override
  public Future<List<byte[]>> manifest(Digest root) {
    GetManifestRequest request = GetManifestRequest.newBuilder().setRoot(ByteString.copyFrom(root.toBytes())).build();
    return BusRpc.request(bus, Addresses.STORE_MANIFEST_GET, request, Manifest.parser(), TIMEOUT_MS)
        .map(m -> m.getTreesList().stream().map(ByteString::toByteArray).toList());
  }

  @Override
  public Future<List<byte[]>> chunks(List<Digest> digests) {
    GetChunksRequest.Builder request = GetChunksRequest.newBuilder();
    digests.forEach(d -> request.addDigests(ByteString.copyFrom(d.toBytes())));
    return BusRpc.request(bus, Addresses.STORE_CHUNKS_GET, request.build(), ChunkBatch.parser(), TIMEOUT_MS)
        .compose(batch -> {
          if (batch.getChunksCount() != digests.size()) {
            return Future.failedFuture(PhantomException.internal("the store answered " + batch.getChunksCount()
                + " chunks for " + digests.size()));
          }
          return Future.succeededFuture(batch.getChunksList().stream().map(Chunk::getData).map(ByteString::toByteArray).toList());
        });
  }
}
