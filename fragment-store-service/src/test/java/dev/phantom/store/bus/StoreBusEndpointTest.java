package dev.phantom.store.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.phantom.proto.store.v1.Chunk;
import dev.phantom.proto.store.v1.ChunkBatch;
import dev.phantom.proto.store.v1.CollectGarbageRequest;
import dev.phantom.proto.store.v1.DeleteTagRequest;
import dev.phantom.proto.store.v1.DeleteTagResponse;
import dev.phantom.proto.store.v1.GcReport;
import dev.phantom.proto.store.v1.GetChunksRequest;
import dev.phantom.proto.store.v1.GetManifestRequest;
import dev.phantom.proto.store.v1.HasChunksRequest;
import dev.phantom.proto.store.v1.HasChunksResponse;
import dev.phantom.proto.store.v1.ImportCall;
import dev.phantom.proto.store.v1.ImportHeader;
import dev.phantom.proto.store.v1.ImportReply;
import dev.phantom.proto.store.v1.ListTagsRequest;
import dev.phantom.proto.store.v1.Manifest;
import dev.phantom.proto.store.v1.PutChunksRequest;
import dev.phantom.proto.store.v1.PutChunksResponse;
import dev.phantom.proto.store.v1.PutManifestRequest;
import dev.phantom.proto.store.v1.PutManifestResponse;
import dev.phantom.proto.store.v1.ResolveTagRequest;
import dev.phantom.proto.store.v1.StatsRequest;
import dev.phantom.proto.store.v1.StoreStats;
import dev.phantom.proto.store.v1.TagInfo;
import dev.phantom.proto.store.v1.TagList;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.Entry;
import dev.phantom.store.core.Meta;
import dev.phantom.store.core.Tree;
import dev.phantom.store.ingest.Tars;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.support.mesh.MeshOptions;
import dev.phantom.support.mesh.PhantomNode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The store role on an embedded node, called over the event bus as the gateway and the CLI call it. */
class StoreBusEndpointTest {

  @TempDir
  Path dir;
  PhantomNode node;

  @BeforeEach
  void start() {
    JsonObject store = new JsonObject().put("dataDir", dir.resolve("data").toString())
        .put("importRoots", new JsonArray().add(dir.resolve("allowed").toString()));
    node = await(PhantomNode.start(MeshOptions.embedded(), List.of("store"), new JsonObject().put("store", store)));
  }

  @AfterEach
  void stop() {
    if (node != null) {
      await(node.close());
    }
  }

  static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  <R extends MessageLite> R call(String address, MessageLite request, Parser<R> parser) {
    return await(BusRpc.request(node.mesh().vertx().eventBus(), address, request, parser, 30_000));
  }

  static ByteString bs(Digest d) {
    return ByteString.copyFrom(d.toBytes());
  }

  GrpcStatus statusOf(Runnable r) {
    try {
      r.run();
    } catch (PhantomException e) {
      return e.status();
    }
    throw new AssertionError("no failure");
  }

  ImportReply upload(String name, byte[] tar) {
    String id = UUID.randomUUID().toString();
    call(Addresses.STORE_IMPORT, ImportCall.newBuilder().setUploadId(id)
        .setBegin(ImportHeader.newBuilder().setName(name)).build(), ImportReply.parser());
    for (int off = 0; off < tar.length; off += 4096) {
      call(Addresses.STORE_IMPORT, ImportCall.newBuilder().setUploadId(id)
          .setData(ByteString.copyFrom(tar, off, Math.min(4096, tar.length - off))).build(), ImportReply.parser());
    }
    return call(Addresses.STORE_IMPORT, ImportCall.newBuilder().setUploadId(id).setEnd(true).build(),
        ImportReply.parser());
  }

  @Test
  void chunksGoInAndComeOutVerified() {
    byte[] a = "alpha".getBytes(StandardCharsets.UTF_8);
    PutChunksResponse put = call(Addresses.STORE_CHUNKS_PUT, PutChunksRequest.newBuilder()
        .addChunks(Chunk.newBuilder().setData(ByteString.copyFrom(a)))
        .addChunks(Chunk.newBuilder().setDigest(bs(Digest.of(a))).setData(ByteString.copyFrom(a))).build(),
        PutChunksResponse.parser());
    assertThat(put.getWritten()).isEqualTo(1);
    assertThat(put.getDigestsList()).containsExactly(bs(Digest.of(a)), bs(Digest.of(a)));
    HasChunksResponse has = call(Addresses.STORE_CHUNKS_HAS, HasChunksRequest.newBuilder().addDigests(bs(Digest.of(a)))
        .addDigests(bs(Digest.of(new byte[] {0}))).build(), HasChunksResponse.parser());
    assertThat(has.getPresentList()).containsExactly(true, false);
    ChunkBatch got = call(Addresses.STORE_CHUNKS_GET, GetChunksRequest.newBuilder().addDigests(bs(Digest.of(a))).build(),
        ChunkBatch.parser());
    assertThat(got.getChunks(0).getData().toByteArray()).isEqualTo(a);

    assertThat(statusOf(() -> call(Addresses.STORE_CHUNKS_PUT, PutChunksRequest.newBuilder()
        .addChunks(Chunk.newBuilder().setDigest(bs(Digest.of(new byte[] {1}))).setData(ByteString.copyFrom(a))).build(),
        PutChunksResponse.parser()))).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
    assertThat(statusOf(() -> call(Addresses.STORE_CHUNKS_GET, GetChunksRequest.newBuilder()
        .addDigests(bs(Digest.of(new byte[] {0}))).build(), ChunkBatch.parser()))).isEqualTo(GrpcStatus.NOT_FOUND);
    assertThat(statusOf(() -> call(Addresses.STORE_CHUNKS_HAS, HasChunksRequest.newBuilder()
        .addDigests(ByteString.copyFromUtf8("short")).build(), HasChunksResponse.parser())))
        .isEqualTo(GrpcStatus.INVALID_ARGUMENT);
  }

  @Test
  void aClientBuiltManifestIsStoredTaggedAndReadBack() {
    byte[] data = "file content".getBytes(StandardCharsets.UTF_8);
    call(Addresses.STORE_CHUNKS_PUT, PutChunksRequest.newBuilder().addChunks(Chunk.newBuilder()
        .setData(ByteString.copyFrom(data))).build(), PutChunksResponse.parser());
    Tree tree = new Tree(List.of(new Entry.File("f", Meta.of(0644, 0, 0, 0), data.length,
        List.of(new Entry.ChunkRef(Digest.of(data), data.length)))));
    PutManifestResponse put = call(Addresses.STORE_MANIFEST_PUT, PutManifestRequest.newBuilder()
        .setRoot(bs(tree.digest())).addTrees(ByteString.copyFrom(tree.encode())).build(), PutManifestResponse.parser());
    assertThat(put.getRootHex()).isEqualTo(tree.digest().hex());
    TagInfo tag = call(Addresses.STORE_TAG_SET, dev.phantom.proto.store.v1.SetTagRequest.newBuilder().setTag("mine")
        .setManifest(bs(tree.digest())).build(), TagInfo.parser());
    assertThat(tag.getTag()).isEqualTo("mine:latest");
    assertThat(tag.getLogicalBytes()).isEqualTo(data.length);
    Manifest manifest = call(Addresses.STORE_MANIFEST_GET, GetManifestRequest.newBuilder().setTag("mine").build(),
        Manifest.parser());
    assertThat(manifest.getTrees(0).toByteArray()).isEqualTo(tree.encode());

    Tree missing = new Tree(List.of(new Entry.File("g", Meta.of(0644, 0, 0, 0), 3,
        List.of(new Entry.ChunkRef(Digest.of(new byte[] {7, 7, 7}), 3)))));
    PhantomException incomplete = (PhantomException) org.assertj.core.api.Assertions.catchThrowable(() -> call(
        Addresses.STORE_MANIFEST_PUT, PutManifestRequest.newBuilder().setRoot(bs(missing.digest()))
            .addTrees(ByteString.copyFrom(missing.encode())).build(), PutManifestResponse.parser()));
    assertThat(incomplete.status()).isEqualTo(GrpcStatus.FAILED_PRECONDITION);
    assertThat(incomplete.getMessage()).contains(Digest.of(new byte[] {7, 7, 7}).hex());
    byte[] notCanonical = Arrays.copyOf(tree.encode(), tree.encode().length + 1);
    assertThat(statusOf(() -> call(Addresses.STORE_MANIFEST_PUT, PutManifestRequest.newBuilder()
        .setRoot(bs(tree.digest())).addTrees(ByteString.copyFrom(notCanonical)).build(), PutManifestResponse.parser())))
        .isEqualTo(GrpcStatus.INVALID_ARGUMENT);
  }

  @Test
  void anUploadedTarBecomesAnImageListedResolvedCountedAndRemoved() {
    ImportReply reply = upload("web:1", new Tars().file("srv/index.html", "<h1>hi</h1>").file("srv/copy.html",
        "<h1>hi</h1>").bytes());
    assertThat(reply.getResult().getTag()).isEqualTo("web:1");
    assertThat(reply.getResult().getFiles()).isEqualTo(2);
    assertThat(reply.getResult().getNewChunks()).isEqualTo(1);
    TagList list = call(Addresses.STORE_TAG_LIST, ListTagsRequest.getDefaultInstance(), TagList.parser());
    assertThat(list.getTagsList()).extracting(TagInfo::getTag).containsExactly("web:1");
    assertThat(call(Addresses.STORE_TAG_RESOLVE, ResolveTagRequest.newBuilder().setTag("web:1").build(), TagInfo.parser())
        .getManifestHex()).isEqualTo(reply.getResult().getManifestHex());
    StoreStats stats = call(Addresses.STORE_STATS, StatsRequest.getDefaultInstance(), StoreStats.parser());
    assertThat(stats.getLogicalBytes()).isEqualTo(22);
    assertThat(stats.getUniqueBytes()).isEqualTo(11);
    assertThat(stats.getDedupRatio()).isEqualTo(2.0);

    call(Addresses.STORE_TAG_DELETE, DeleteTagRequest.newBuilder().setTag("web:1").build(), DeleteTagResponse.parser());
    assertThat(statusOf(() -> call(Addresses.STORE_TAG_RESOLVE, ResolveTagRequest.newBuilder().setTag("web:1").build(),
        TagInfo.parser()))).isEqualTo(GrpcStatus.NOT_FOUND);
    GcReport gc = call(Addresses.STORE_GC, CollectGarbageRequest.getDefaultInstance(), GcReport.parser());
    assertThat(gc.getRoots()).isZero();
    assertThat(gc.getKeptYoung()).isGreaterThan(0); // within the default grace period
  }

  @Test
  void aBadArchiveIsInvalidArgumentNamingTheEntry() {
    PhantomException e = (PhantomException) org.assertj.core.api.Assertions.catchThrowable(
        () -> upload("evil", new Tars().file("../../etc/cron.d/x", "boom").bytes()));
    assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains("entry '../../etc/cron.d/x'");
    assertThat(statusOf(() -> upload("Bad Name", new Tars().file("a", "b").bytes())))
        .isEqualTo(GrpcStatus.INVALID_ARGUMENT);
  }

  @Test
  void hostPathsAreReadOnlyUnderImportRoots() throws Exception {
    Path allowed = Files.createDirectories(dir.resolve("allowed/rootfs/etc"));
    Files.writeString(allowed.resolve("os-release"), "ID=test\n");
    ImportReply reply = call(Addresses.STORE_IMPORT, ImportCall.newBuilder().setBegin(ImportHeader.newBuilder()
        .setName("host").setHostPath(dir.resolve("allowed/rootfs").toString())).build(), ImportReply.parser());
    assertThat(reply.getResult().getFormat()).isEqualTo("directory");

    Files.createSymbolicLink(dir.resolve("allowed/sneaky"), Path.of("/etc"));
    for (String path : List.of("/etc", dir.resolve("allowed/sneaky").toString(), dir.resolve("allowed/../data").toString())) {
      PhantomException e = (PhantomException) org.assertj.core.api.Assertions.catchThrowable(() -> call(
          Addresses.STORE_IMPORT, ImportCall.newBuilder().setBegin(ImportHeader.newBuilder().setName("host")
              .setHostPath(path)).build(), ImportReply.parser()));
      assertThat(e.status()).as(path).isEqualTo(GrpcStatus.PERMISSION_DENIED);
    }
  }

  /** Puts 100,000 random bytes as a chunk; returns them. */
  byte[] putRandomChunk(long seed) {
    byte[] data = new byte[100_000];
    new java.util.Random(seed).nextBytes(data);
    call(Addresses.STORE_CHUNKS_PUT, PutChunksRequest.newBuilder().addChunks(Chunk.newBuilder()
        .setData(ByteString.copyFrom(data))).build(), PutChunksResponse.parser());
    return data;
  }

  /** Flips a bit of the chunk's file in the store; returns the corrupt bytes. */
  byte[] corruptOnDisk(Digest d) throws java.io.IOException {
    Path file = chunkFile(d);
    byte[] onDisk = Files.readAllBytes(file);
    onDisk[onDisk.length - 10] ^= 0x40;
    Files.write(file, onDisk);
    return onDisk;
  }

  Path chunkFile(Digest d) {
    return dir.resolve("data/chunks").resolve(d.hex().substring(0, 2)).resolve(d.hex());
  }

  @Test
  void aCorruptChunkIsDataLossAndNeverServed() throws Exception {
    byte[] data = putRandomChunk(8);
    Digest d = Digest.of(data);
    corruptOnDisk(d);
    PhantomException e = (PhantomException) org.assertj.core.api.Assertions.catchThrowable(() -> call(
        Addresses.STORE_CHUNKS_GET, GetChunksRequest.newBuilder().addDigests(bs(d)).build(), ChunkBatch.parser()));
    assertThat(e.status()).isEqualTo(GrpcStatus.DATA_LOSS);
    assertThat(e.getMessage()).contains(d.hex()).contains("corrupt");
    // Set aside: a has now says no, so a client with the chunk puts it again and heals the store.
    HasChunksResponse has = call(Addresses.STORE_CHUNKS_HAS, HasChunksRequest.newBuilder().addDigests(bs(d)).build(),
        HasChunksResponse.parser());
    assertThat(has.getPresentList()).containsExactly(false);
    call(Addresses.STORE_CHUNKS_PUT, PutChunksRequest.newBuilder().addChunks(Chunk.newBuilder()
        .setData(ByteString.copyFrom(data))).build(), PutChunksResponse.parser());
    ChunkBatch healed = call(Addresses.STORE_CHUNKS_GET, GetChunksRequest.newBuilder().addDigests(bs(d)).build(),
        ChunkBatch.parser());
    assertThat(healed.getChunks(0).getData().toByteArray()).isEqualTo(data);
  }

  @Test
  void aCorruptChunkIsTakenFromTheFirstPeerWhoseCopyHashesRightAndWrittenBack() throws Exception {
    byte[] data = putRandomChunk(9);
    Digest d = Digest.of(data);
    byte[] onDisk = corruptOnDisk(d);
    // Two nodes answer: one with other bytes under the chunk's name (ignored), then one with the chunk.
    var bus = node.mesh().vertx().eventBus();
    byte[] other = data.clone();
    other[0] ^= 1;
    BusRpc.listen(bus, Addresses.ZYGOTE_CHUNKS_FIND, dev.phantom.proto.store.v1.FindChunksRequest.parser(), r -> {
      BusRpc.send(bus, r.getReplyAddress(), found("liar", d, other));
      node.mesh().vertx().setTimer(100, t -> BusRpc.send(bus, r.getReplyAddress(), found("honest", d, data)));
    });

    ChunkBatch batch = call(Addresses.STORE_CHUNKS_GET, GetChunksRequest.newBuilder().addDigests(bs(d)).addDigests(bs(d))
        .build(), ChunkBatch.parser());
    assertThat(batch.getChunksList()).extracting(c -> c.getData().toByteArray()).containsExactly(data, data);
    assertThat(node.mesh().meters().get("phantom.store.chunks.refetched").counter().count()).isEqualTo(1);
    assertThat(node.mesh().meters().get("phantom.store.corrupt").tag("kind", "chunk").counter().count()).isEqualTo(1);
    // Written back: the next read is served from the store's own disk.
    assertThat(Files.readAllBytes(chunkFile(d))).isNotEqualTo(onDisk);
    ChunkBatch again = call(Addresses.STORE_CHUNKS_GET, GetChunksRequest.newBuilder().addDigests(bs(d)).build(),
        ChunkBatch.parser());
    assertThat(again.getChunks(0).getData().toByteArray()).isEqualTo(data);
    assertThat(node.mesh().meters().get("phantom.store.chunks.refetched").counter().count()).isEqualTo(1);
  }

  static dev.phantom.proto.store.v1.FoundChunks found(String node, Digest d, byte[] data) {
    return dev.phantom.proto.store.v1.FoundChunks.newBuilder().setNodeId(node)
        .addChunks(Chunk.newBuilder().setDigest(bs(d)).setData(ByteString.copyFrom(data))).build();
  }

  @Test
  void stepsOfAnUnknownUploadAreNotFound() {
    assertThatThrownBy(() -> call(Addresses.STORE_IMPORT, ImportCall.newBuilder().setUploadId("nope").setEnd(true).build(),
        ImportReply.parser())).isInstanceOfSatisfying(PhantomException.class,
            e -> assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND));
  }
}
