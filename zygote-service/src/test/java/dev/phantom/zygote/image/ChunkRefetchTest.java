package dev.phantom.zygote.image;

import static dev.phantom.zygote.image.StoreFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.github.luben.zstd.Zstd;
import com.google.protobuf.ByteString;
import dev.phantom.proto.store.v1.ChunkBatch;
import dev.phantom.proto.store.v1.FindChunksRequest;
import dev.phantom.proto.store.v1.FoundChunks;
import dev.phantom.proto.store.v1.GetChunksRequest;
import dev.phantom.store.core.Digest;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chunk corrupt on the store's disk is detected by its hash, fetched again from a zygote node's cache
 * (over {@code phantom.zygote.chunks.find}), verified, written back and served; with no node holding it
 * the read is DATA_LOSS and nothing is served. A real store and real node caches on one embedded mesh.
 */
class ChunkRefetchTest {

  @TempDir
  Path dir;
  StoreFixture store;

  @BeforeEach
  void start() throws IOException {
    store = new StoreFixture(dir);
  }

  @AfterEach
  void stop() {
    store.close();
  }

  /** An image of one file of several chunks; returns its manifest hex. */
  String importImage(String name, long seed) throws IOException {
    Path src = store.source(name);
    byte[] content = new byte[600_000];
    new Random(seed).nextBytes(content);
    Files.write(src.resolve("blob"), content);
    return store.importDir(src, name + ":1");
  }

  List<Path> storeChunkFiles() throws IOException {
    try (Stream<Path> s = Files.walk(dir.resolve("store/chunks"))) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }

  static Digest digestOf(Path chunkFile) {
    return Digest.parse(chunkFile.getFileName().toString());
  }

  static void corrupt(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x40;
    Files.write(file, bytes);
  }

  byte[] getChunk(Digest d) {
    ChunkBatch batch = await(BusRpc.request(store.vertx().eventBus(), Addresses.STORE_CHUNKS_GET,
        GetChunksRequest.newBuilder().addDigests(ByteString.copyFrom(d.toBytes())).build(), ChunkBatch.parser(), 30_000));
    return batch.getChunks(0).getData().toByteArray();
  }

  double refetched() {
    return store.node.mesh().meters().get("phantom.store.chunks.refetched").counter().count();
  }

  long quarantined() throws IOException {
    try (Stream<Path> s = Files.list(dir.resolve("store/quarantine"))) {
      return s.count();
    }
  }

  /** The store's file decompresses to bytes that hash to its name: repaired, not merely present. */
  static void assertSound(Path chunkFile) throws IOException {
    byte[] frame = Files.readAllBytes(chunkFile);
    byte[] raw = Zstd.decompress(frame, (int) Zstd.getFrameContentSize(frame));
    assertThat(Digest.of(raw)).isEqualTo(digestOf(chunkFile));
  }

  @Test
  void aCorruptChunkIsFetchedFromANodeCacheWrittenBackAndServed() throws IOException {
    String manifest = importImage("img", 1);
    NodeImages nodeA = store.peer("node-a");
    Path treeA = await(nodeA.materialize(manifest, null));
    List<Path> files = storeChunkFiles();
    assertThat(files).hasSizeGreaterThan(2);

    // Read directly through the store's API.
    Path first = files.get(0);
    corrupt(first);
    byte[] served = getChunk(digestOf(first));
    assertThat(Digest.of(served)).isEqualTo(digestOf(first));
    assertSound(first);
    assertThat(quarantined()).isEqualTo(1);
    assertThat(refetched()).isEqualTo(1);

    // Read as a whole image by a node that has none of it: the store repairs on the way.
    Path second = files.get(1);
    corrupt(second);
    NodeImages nodeB = store.peer("node-b");
    Path treeB = await(nodeB.materialize(manifest, null));
    assertThat(Files.readAllBytes(treeB.resolve("blob"))).isEqualTo(Files.readAllBytes(treeA.resolve("blob")));
    assertThat(Files.readAllBytes(treeB.resolve("blob"))).isEqualTo(Files.readAllBytes(dir.resolve("src/img/blob")));
    assertSound(second);
    assertThat(quarantined()).isEqualTo(2);
    assertThat(refetched()).isEqualTo(2);
    assertThat(nodeB.counters().corruptChunks()).isZero();
  }

  @Test
  void onlyNodesHoldingAChunkAnswerAndOnlyToAStoreReplyAddress() throws Exception {
    String manifest = importImage("img", 3);
    await(store.peer("node-a").materialize(manifest, null));
    store.peer("node-b"); // holds nothing: stays silent
    Digest wanted = digestOf(storeChunkFiles().get(0));
    var bus = store.vertx().eventBus();
    java.util.Queue<FoundChunks> toStore = new java.util.concurrent.ConcurrentLinkedQueue<>();
    java.util.Queue<FoundChunks> elsewhere = new java.util.concurrent.ConcurrentLinkedQueue<>();
    String reply = Addresses.storeChunksFound("test");
    await(BusRpc.listen(bus, reply, FoundChunks.parser(), toStore::add).completion());
    await(BusRpc.listen(bus, "phantom.gateway.elsewhere", FoundChunks.parser(), elsewhere::add).completion());

    for (String to : List.of(reply, "phantom.gateway.elsewhere")) {
      BusRpc.publish(bus, Addresses.ZYGOTE_CHUNKS_FIND, FindChunksRequest.newBuilder()
          .addDigests(ByteString.copyFrom(wanted.toBytes())).setReplyAddress(to).build());
    }
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (toStore.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    Thread.sleep(500); // room for a wrong answer to arrive
    assertThat(toStore).singleElement().satisfies(f -> {
      assertThat(f.getNodeId()).isEqualTo("node-a");
      assertThat(f.getChunksList()).singleElement().satisfies(c ->
          assertThat(Digest.of(c.getData().toByteArray())).isEqualTo(wanted));
    });
    assertThat(elsewhere).isEmpty();
  }

  @Test
  void aCorruptChunkNoNodeHoldsIsDataLossAndNeverServed() throws IOException {
    String manifest = importImage("img", 2);
    NodeImages nodeA = store.peer("node-a"); // listening, but it never materialized this image
    Path chunk = storeChunkFiles().get(0);
    corrupt(chunk);

    PhantomException e = catchThrowableOfType(PhantomException.class, () -> getChunk(digestOf(chunk)));
    assertThat(e.status()).isEqualTo(GrpcStatus.DATA_LOSS);
    assertThat(e.getMessage()).contains(digestOf(chunk).hex()).contains("no zygote node holds a verified copy");
    assertThat(chunk).doesNotExist(); // set aside in quarantine, never served
    assertThat(quarantined()).isEqualTo(1);
    assertThat(refetched()).isZero();

    // A node materializing the image fails the same way rather than building it from bad bytes.
    PhantomException m = catchThrowableOfType(PhantomException.class, () -> await(nodeA.materialize(manifest, null)));
    assertThat(m.status()).isIn(GrpcStatus.DATA_LOSS, GrpcStatus.NOT_FOUND);
  }
}
