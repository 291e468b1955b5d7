package dev.phantom.gateway.it;

import static dev.phantom.gateway.it.EmbeddedMesh.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.phantom.gateway.core.ApiKeys;
import dev.phantom.proto.store.v1.Chunk;
import dev.phantom.proto.store.v1.FragmentStoreApiGrpcClient;
import dev.phantom.proto.store.v1.GetChunksRequest;
import dev.phantom.proto.store.v1.GetManifestRequest;
import dev.phantom.proto.store.v1.HasChunksRequest;
import dev.phantom.proto.store.v1.HasChunksResponse;
import dev.phantom.proto.store.v1.ImportHeader;
import dev.phantom.proto.store.v1.ImportRequest;
import dev.phantom.proto.store.v1.ImportResult;
import dev.phantom.proto.store.v1.ListTagsRequest;
import dev.phantom.proto.store.v1.Manifest;
import dev.phantom.proto.store.v1.PutChunksRequest;
import dev.phantom.proto.store.v1.PutChunksResponse;
import dev.phantom.proto.store.v1.ResolveTagRequest;
import dev.phantom.proto.store.v1.StatsRequest;
import dev.phantom.proto.store.v1.StoreStats;
import dev.phantom.proto.store.v1.TagInfo;
import dev.phantom.proto.store.v1.TagList;
import dev.phantom.support.PhantomException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code phantom.store.v1.FragmentStoreApi} on the gateway's public gRPC server, proxied to the store role. */
class StoreApiIT {

  private static final String KEY = "pf_test_store_api";
  private static EmbeddedMesh mesh;
  private static GrpcClient grpc;
  private static SocketAddress server;
  private static io.vertx.core.Context context;
  private static Path dir;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("phantom-store-it");
    mesh = EmbeddedMesh.start(new JsonObject()
        .put("gateway", new JsonObject().put("apiKeys", new JsonArray().add(new JsonObject().put("name", "ci")
            .put("sha256", ApiKeys.sha256Hex(KEY)))))
        .put("store", new JsonObject().put("dataDir", dir.resolve("store").toString())));
    grpc = GrpcClient.client(mesh.node.mesh().vertx(), new GrpcClientOptions().setMaxMessageSize(64 << 20));
    context = mesh.node.mesh().vertx().getOrCreateContext();
    server = SocketAddress.inetSocketAddress(mesh.grpcPort, "127.0.0.1");
  }

  @AfterAll
  static void stop() throws Exception {
    if (grpc != null) {
      await(grpc.close());
    }
    if (mesh != null) {
      mesh.close();
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void aTarStreamedThroughTheGatewayBecomesAnImage() throws Exception {
    Path rootfs = Files.createDirectories(dir.resolve("rootfs/etc"));
    Files.writeString(rootfs.resolve("os-release"), "ID=phantom\n");
    byte[] big = new byte[3 << 20];
    new Random(5).nextBytes(big);
    Files.write(rootfs.resolve("blob"), big);
    byte[] tar = tar(dir.resolve("rootfs"), ".");
    List<ImportRequest> parts = new ArrayList<>();
    parts.add(ImportRequest.newBuilder().setHeader(ImportHeader.newBuilder().setName("it-image:1")).build());
    for (int off = 0; off < tar.length; off += 1 << 20) {
      parts.add(ImportRequest.newBuilder().setData(ByteString.copyFrom(tar, off, Math.min(1 << 20, tar.length - off)))
          .build());
    }
    ImportResult result = await(stream(FragmentStoreApiGrpcClient.ImportImage, KEY, parts)).getFirst();
    assertThat(result.getTag()).isEqualTo("it-image:1");
    assertThat(result.getFiles()).isEqualTo(2);
    assertThat(result.getLogicalBytes()).isEqualTo(big.length + 11);

    TagList tags = await(stream(FragmentStoreApiGrpcClient.ListTags, KEY, List.of(ListTagsRequest.getDefaultInstance())))
        .getFirst();
    assertThat(tags.getTagsList()).extracting(TagInfo::getTag).contains("it-image:1");
    Manifest manifest = await(stream(FragmentStoreApiGrpcClient.GetManifest, KEY,
        List.of(GetManifestRequest.newBuilder().setTag("it-image:1").build()))).getFirst();
    assertThat(manifest.getRoot()).isEqualTo(result.getManifest());
    assertThat(manifest.getTreesCount()).isEqualTo(2);
    StoreStats stats = await(stream(FragmentStoreApiGrpcClient.Stats, KEY, List.of(StatsRequest.getDefaultInstance())))
        .getFirst();
    assertThat(stats.getLogicalBytes()).isGreaterThanOrEqualTo(big.length);
  }

  @Test
  void chunksStreamInAndOutInBatches() throws Exception {
    List<PutChunksRequest> batches = new ArrayList<>();
    List<ByteString> digests = new ArrayList<>();
    Random random = new Random(6);
    for (int b = 0; b < 3; b++) {
      PutChunksRequest.Builder batch = PutChunksRequest.newBuilder();
      for (int i = 0; i < 50; i++) {
        byte[] data = new byte[1000 + random.nextInt(5000)];
        random.nextBytes(data);
        digests.add(ByteString.copyFrom(MessageDigest.getInstance("SHA-256").digest(data)));
        batch.addChunks(Chunk.newBuilder().setData(ByteString.copyFrom(data)));
      }
      batches.add(batch.build());
    }
    PutChunksResponse put = await(stream(FragmentStoreApiGrpcClient.PutChunks, KEY, batches)).getFirst();
    assertThat(put.getDigestsList()).isEqualTo(digests);
    assertThat(put.getWritten()).isEqualTo(150);
    HasChunksResponse has = await(stream(FragmentStoreApiGrpcClient.HasChunks, KEY,
        List.of(HasChunksRequest.newBuilder().addAllDigests(digests).addDigests(ByteString.copyFrom(new byte[32])).build())))
        .getFirst();
    assertThat(has.getPresentList()).hasSize(151).endsWith(false).startsWith(true, true);
    List<Chunk> got = await(stream(FragmentStoreApiGrpcClient.GetChunks, KEY,
        List.of(GetChunksRequest.newBuilder().addAllDigests(digests).build())));
    assertThat(got).extracting(Chunk::getDigest).isEqualTo(digests);
    assertThat(MessageDigest.getInstance("SHA-256").digest(got.get(120).getData().toByteArray()))
        .isEqualTo(digests.get(120).toByteArray());
  }

  @Test
  void failuresKeepTheStoresStatusAndMessage() throws Exception {
    assertThatThrownBy(() -> await(stream(FragmentStoreApiGrpcClient.ResolveTag, KEY,
        List.of(ResolveTagRequest.newBuilder().setTag("nothing-here").build()))))
        .isInstanceOfSatisfying(PhantomException.class, e -> {
          assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND);
          assertThat(e.getMessage()).contains("nothing-here:latest");
        });
    Path evil = Files.createDirectories(dir.resolve("evil"));
    Files.writeString(evil.resolve("x"), "boom");
    byte[] tar = tar(evil, "--transform=s,^,../../,", "-P", "x");
    assertThatThrownBy(() -> await(stream(FragmentStoreApiGrpcClient.ImportImage, KEY, List.of(
        ImportRequest.newBuilder().setHeader(ImportHeader.newBuilder().setName("evil")).build(),
        ImportRequest.newBuilder().setData(ByteString.copyFrom(tar)).build()))))
        .isInstanceOfSatisfying(PhantomException.class, e -> {
          assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
          assertThat(e.getMessage()).contains("entry '../../x'");
        });
    assertThatThrownBy(() -> await(stream(FragmentStoreApiGrpcClient.ImportImage, KEY, List.of(
        ImportRequest.newBuilder().setHeader(ImportHeader.newBuilder().setName("host").setHostPath("/etc")).build()))))
        .isInstanceOfSatisfying(PhantomException.class,
            e -> assertThat(e.status()).isEqualTo(GrpcStatus.PERMISSION_DENIED));
    assertThatThrownBy(() -> await(stream(FragmentStoreApiGrpcClient.ListTags, null,
        List.of(ListTagsRequest.getDefaultInstance()))))
        .isInstanceOfSatisfying(PhantomException.class,
            e -> assertThat(e.status()).isEqualTo(GrpcStatus.UNAUTHENTICATED));
  }

  private static byte[] tar(Path dir, String... args) throws Exception {
    Path out = Files.createTempFile(StoreApiIT.dir, "archive", ".tar");
    List<String> argv = new ArrayList<>(List.of("tar", "-C", dir.toString(), "-cf", out.toString()));
    argv.addAll(List.of(args));
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(output).isZero();
    return Files.readAllBytes(out);
  }

  /** Sends every message, ends, and collects every reply; started on one event loop (see PolicyApiIT). */
  private static <Q, R> Future<List<R>> stream(ServiceMethod<R, Q> method, String key, List<Q> messages) {
    Promise<List<R>> result = Promise.promise();
    context.runOnContext(v -> grpc.request(server, method).compose(call -> {
      if (key != null) {
        call.headers().set("authorization", "Bearer " + key);
      }
      Future<List<R>> replies = call.response().compose(StoreApiIT::all);
      messages.forEach(call::write);
      call.end();
      return replies;
    }).onComplete(result));
    return result.future();
  }

  private static <R> Future<List<R>> all(GrpcClientResponse<?, R> response) {
    Promise<List<R>> outcome = Promise.promise();
    List<R> got = new ArrayList<>();
    response.handler(got::add);
    response.exceptionHandler(outcome::tryFail);
    response.endHandler(end -> {
      if (response.status() == GrpcStatus.OK) {
        outcome.tryComplete(got);
      } else {
        outcome.tryFail(new PhantomException(response.status(), response.statusMessage()));
      }
    });
    return outcome.future();
  }
}
