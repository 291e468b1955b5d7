package dev.phantom.zygote.bus;

import com.google.protobuf.ByteString;
import dev.phantom.proto.store.v1.Chunk;
import dev.phantom.proto.store.v1.FindChunksRequest;
import dev.phantom.proto.store.v1.FoundChunks;
import dev.phantom.store.core.Digest;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.zygote.image.NodeImages;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * Lends this node's cached chunks to a store that found its own copies corrupt: listens to
 * {@link Addresses#ZYGOTE_CHUNKS_FIND} and sends the verified copies it holds to the request's reply
 * address; says nothing when it holds none (the store waits for whoever has them).
 */
public final class ChunkPeerEndpoint {

  private static final Logger LOG = Logger.getLogger(ChunkPeerEndpoint.class.getName());
  /** Digests looked at per request: the store asks about one GetChunks batch at most. */
  static final int MAX_DIGESTS = 64;
  private static final String REPLY_PREFIX = Addresses.storeChunksFound("");

  private final EventBus bus;
  private final String nodeId;
  private final NodeImages images;
  private MessageConsumer<Buffer> consumer;

  public ChunkPeerEndpoint(EventBus bus, String nodeId, NodeImages images) {
    this.bus = bus;
    this.nodeId = nodeId;
    this.images = images;
  }

  public Future<Void> register() {
    consumer = BusRpc.listen(bus, Addresses.ZYGOTE_CHUNKS_FIND, FindChunksRequest.parser(), this::find);
    return consumer.completion();
  }

  public Future<Void> unregister() {
    return consumer == null ? Future.succeededFuture() : consumer.unregister();
  }

  private void find(FindChunksRequest request) {
    // Only ever to a store's reply address: a request cannot make a node send its chunks elsewhere.
    if (!request.getReplyAddress().startsWith(REPLY_PREFIX)) {
      LOG.warning("ignored a chunk request with reply address '" + request.getReplyAddress() + "'");
      return;
    }
    List<Digest> digests = new ArrayList<>();
    for (ByteString d : request.getDigestsList().subList(0, Math.min(MAX_DIGESTS, request.getDigestsCount()))) {
      if (d.size() == Digest.BYTES) {
        digests.add(Digest.fromBytes(d.toByteArray()));
      }
    }
    images.cachedChunks(digests).onSuccess(held -> {
      if (held.isEmpty()) {
        return;
      }
      FoundChunks.Builder out = FoundChunks.newBuilder().setNodeId(nodeId);
      held.forEach((d, data) -> out.addChunks(Chunk.newBuilder().setDigest(ByteString.copyFrom(d.toBytes()))
          .setData(ByteString.copyFrom(data))));
      BusRpc.send(bus, request.getReplyAddress(), out.build());
      LOG.info("sent " + held.size() + " cached chunks to the store, which found its copies corrupt");
    }).onFailure(e -> LOG.warning("could not read cached chunks for the store: " + e.getMessage()));
  }
}
