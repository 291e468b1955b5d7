package dev.phantom.store.bus;

import com.google.protobuf.ByteString;
import dev.phantom.proto.store.v1.Chunk;
import dev.phantom.proto.store.v1.FindChunksRequest;
import dev.phantom.proto.store.v1.FoundChunks;
import dev.phantom.store.ChunkPeers;
import dev.phantom.store.core.Digest;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Logger;

/**
 * {@link ChunkPeers} over the event bus: publishes one {@code FindChunksRequest} to every zygote node
 * ({@link Addresses#ZYGOTE_CHUNKS_FIND}) and takes the first copy of each chunk that hashes right, until all
 * are found or the wait is over. Nodes without any stay silent, so a chunk nobody holds costs the whole
 * wait; that is the rare path (a chunk already lost), and a wait per batch, not per chunk.
 */
public final class BusChunkPeers implements ChunkPeers {

  private static final Logger LOG = Logger.getLogger(BusChunkPeers.class.getName());
  /** How long a read of a corrupt chunk waits for peers: a node answers from its local disk. */
  public static final long DEFAULT_WAIT_MS = 2_000;

  private final Vertx vertx;
  private final long waitMs;

  public BusChunkPeers(Vertx vertx, long waitMs) {
    this.vertx = vertx;
    this.waitMs = waitMs;
  }

  @Override
  public Future<Map<Digest, Found>> find(List<Digest> digests) {
    if (digests.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    Set<Digest> wanted = new HashSet<>(digests);
    Map<Digest, Found> found = new HashMap<>();
    Promise<Map<Digest, Found>> done = Promise.promise();
    String address = Addresses.storeChunksFound(UUID.randomUUID().toString());
    MessageConsumer<Buffer> consumer = BusRpc.listen(vertx.eventBus(), address, FoundChunks.parser(), reply -> {
      synchronized (found) {
        for (Chunk c : reply.getChunksList()) {
          Digest d = c.getDigest().size() == Digest.BYTES ? Digest.fromBytes(c.getDigest().toByteArray()) : null;
          if (d == null || !wanted.contains(d) || found.containsKey(d)) {
            continue;
          }
          byte[] data = c.getData().toByteArray();
          if (Digest.of(data).equals(d)) {
            found.put(d, new Found(data, reply.getNodeId()));
          } else {
            LOG.warning("node " + reply.getNodeId() + " sent other bytes for chunk " + d.hex() + "; ignored");
          }
        }
        if (found.size() == wanted.size()) {
          done.tryComplete(Map.copyOf(found));
        }
      }
    });
    FindChunksRequest.Builder request = FindChunksRequest.newBuilder().setReplyAddress(address);
    wanted.forEach(d -> request.addDigests(ByteString.copyFrom(d.toBytes())));
    // Published once the reply consumer is known to the whole cluster, or an answer could go nowhere.
    consumer.completion().onComplete(registered -> {
      BusRpc.publish(vertx.eventBus(), Addresses.ZYGOTE_CHUNKS_FIND, request.build());
      long timer = vertx.setTimer(waitMs, id -> {
        synchronized (found) {
          done.tryComplete(Map.copyOf(found));
        }
      });
      done.future().onComplete(r -> vertx.cancelTimer(timer));
    });
    return done.future().eventually(consumer::unregister);
  }
}
