package dev.phantom.zygote.snapshot;

import com.google.protobuf.ByteString;
import dev.phantom.proto.store.v1.HasChunksRequest;
import dev.phantom.proto.store.v1.HasChunksResponse;
import dev.phantom.proto.store.v1.PutChunksRequest;
import dev.phantom.proto.store.v1.PutChunksResponse;
import dev.phantom.proto.store.v1.PutManifestRequest;
import dev.phantom.proto.store.v1.PutManifestResponse;
import dev.phantom.proto.store.v1.ResolveTagRequest;
import dev.phantom.proto.store.v1.SetTagRequest;
import dev.phantom.proto.store.v1.TagInfo;
import dev.phantom.store.core.Digest;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import java.util.List;

/** {@link SnapshotStore} over the event bus ({@code phantom.store.*}, served by any store node). */
public final class BusSnapshotStore implements SnapshotStore {

  /** A put of a few MiB or a manifest walk of a large tree; the store answers well within this. */
  private static final long TIMEOUT_MS = 60_000;

  private final EventBus bus;

  public BusSnapshotStore(EventBus bus) {
    this.bus = bus;
  }

  @Override
  public Future<List<Boolean>> has(List<Digest> digests) {
    HasChunksRequest.Builder request = HasChunksRequest.newBuilder();
    digests.forEach(d -> request.addDigests(bytes(d)));
    return BusRpc.request(bus, Addresses.STORE_CHUNKS_HAS, request.build(), HasChunksResponse.parser(), TIMEOUT_MS)
        .map(HasChunksResponse::getPresentList);
  }

  @Override
  public Future<Long> put(List<Chunk> chunks) {
    PutChunksRequest.Builder request = PutChunksRequest.newBuilder();
    chunks.forEach(c -> request.addChunks(dev.phantom.proto.store.v1.Chunk.newBuilder().setDigest(bytes(c.digest()))
        .setData(ByteString.copyFrom(c.data()))));
    return BusRpc.request(bus, Addresses.STORE_CHUNKS_PUT, request.build(), PutChunksResponse.parser(), TIMEOUT_MS)
        .map(PutChunksResponse::getWritten);
  }

  @Override
  public Future<Void> putManifest(Digest root, List<byte[]> trees) {
    PutManifestRequest.Builder request = PutManifestRequest.newBuilder().setRoot(bytes(root));
    trees.forEach(t -> request.addTrees(ByteString.copyFrom(t)));
    return BusRpc.request(bus, Addresses.STORE_MANIFEST_PUT, request.build(), PutManifestResponse.parser(), TIMEOUT_MS)
        .mapEmpty();
  }

  @Override
  public Future<Void> setTag(String tag, Digest manifest) {
    return BusRpc.request(bus, Addresses.STORE_TAG_SET, SetTagRequest.newBuilder().setTag(tag)
        .setManifest(bytes(manifest)).build(), TagInfo.parser(), TIMEOUT_MS).mapEmpty();
  }

  @Override
  public Future<Digest> resolveTag(String tag) {
    return BusRpc.request(bus, Addresses.STORE_TAG_RESOLVE, ResolveTagRequest.newBuilder().setTag(tag).build(),
        TagInfo.parser(), TIMEOUT_MS).map(info -> Digest.fromBytes(info.getManifest().toByteArray()));
  }

  private static ByteString bytes(Digest d) {
    return ByteString.copyFrom(d.toBytes());
  }
}
