package dev.phantom.zygote.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.store.core.ChunkingParams;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.Entry;
import dev.phantom.store.core.Tree;
import dev.phantom.support.PhantomException;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot walk and its delta protocol against an in-memory store: what is sent, what is kept, what is left out. */
class WorkspaceSnapshotterTest {

  @TempDir
  Path dir;

  /** An in-memory store that counts what it is asked. */
  static final class MemoryStore implements SnapshotStore {
    final Map<Digest, byte[]> chunks = new ConcurrentHashMap<>();
    final Map<Digest, byte[]> trees = new ConcurrentHashMap<>();
    final Map<String, Digest> tags = new ConcurrentHashMap<>();
    final List<Integer> hasBatches = java.util.Collections.synchronizedList(new ArrayList<>());
    volatile PhantomException failPuts;

    @Override
    public Future<List<Boolean>> has(List<Digest> digests) {
      hasBatches.add(digests.size());
      return Future.succeededFuture(digests.stream().map(chunks::containsKey).toList());
    }

    @Override
    public Future<Long> put(List<Chunk> list) {
      if (failPuts != null) {
        return Future.failedFuture(failPuts);
      }
      list.forEach(c -> assertThat(Digest.of(c.data())).isEqualTo(c.digest()));
      long fresh = list.stream().filter(c -> chunks.putIfAbsent(c.digest(), c.data()) == null).count();
      return Future.succeededFuture(fresh);
    }

    @Override
    public Future<Void> putManifest(Digest root, List<byte[]> encoded) {
      encoded.forEach(t -> trees.put(Digest.of(t), t));
      assertThat(trees).containsKey(root);
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> setTag(String tag, Digest manifest) {
      tags.put(tag, manifest);
      return Future.succeededFuture();
    }

    @Override
    public Future<Digest> resolveTag(String tag) {
      Digest d = tags.get(tag);
      return d == null ? Future.failedFuture(PhantomException.notFound(tag)) : Future.succeededFuture(d);
    }

    Map<String, Entry> root(Digest manifest) {
      Map<String, Entry> out = new HashMap<>();
      Tree.decode(trees.get(manifest)).entries().forEach(e -> out.put(e.name(), e));
      return out;
    }
  }

  private SnapshotResult snapshot(MemoryStore store) throws Exception {
    return new WorkspaceSnapshotter(store, ChunkingParams.DEFAULTS).snapshot(dir, hex -> "snap:" + hex);
  }

  @Test
  void sendsOnlyWhatTheStoreLacksAndTagsTheManifest() throws Exception {
    byte[] data = new byte[12 << 20];
    new Random(1).nextBytes(data);
    Files.write(dir.resolve("big"), data);
    Files.write(dir.resolve("copy"), data); // the same chunks again: sent once
    MemoryStore store = new MemoryStore();

    SnapshotResult first = snapshot(store);
    assertThat(first.uploadedBytes()).isEqualTo(data.length);
    assertThat(first.logicalBytes()).isEqualTo(2L * data.length);
    assertThat(first.reusedChunks()).isEqualTo(first.newChunks());
    assertThat(store.tags).containsEntry("snap:" + first.manifest().hex(), first.manifest());
    assertThat(store.hasBatches).allSatisfy(n -> assertThat(n).isPositive()).hasSizeGreaterThan(1);

    SnapshotResult again = snapshot(store);
    assertThat(again.manifest()).isEqualTo(first.manifest());
    assertThat(again.uploadedBytes()).isZero();
    assertThat(again.newChunks()).isZero();
  }

  @Test
  void keepsLinksAndEmptyDirectoriesAndLeavesOutFifosAndLinksOutOfTheWorkspace() throws Exception {
    Files.createDirectories(dir.resolve("empty"));
    Files.writeString(dir.resolve("f"), "x");
    Files.createSymbolicLink(dir.resolve("in"), Path.of("f"));
    Files.createSymbolicLink(dir.resolve("abs"), Path.of("/etc/passwd")); // resolves inside the sandbox
    Files.createSymbolicLink(dir.resolve("out"), Path.of("../../etc/passwd"));
    assertThat(new ProcessBuilder("mkfifo", dir.resolve("fifo").toString()).start().waitFor()).isZero();
    MemoryStore store = new MemoryStore();

    SnapshotResult result = snapshot(store);

    assertThat(store.root(result.manifest())).containsOnlyKeys("empty", "f", "in", "abs");
    assertThat(result.skipped()).hasSize(2).anySatisfy(s -> assertThat(s).startsWith("fifo: "))
        .anySatisfy(s -> assertThat(s).startsWith("out: "));
  }

  @Test
  void aFullStoreFailsTheSnapshotWithItsStatusAndSetsNoTag() throws Exception {
    Files.write(dir.resolve("f"), new byte[100_000]);
    MemoryStore store = new MemoryStore();
    store.failPuts = PhantomException.resourceExhausted("disk full", 0);

    assertThatThrownBy(() -> snapshot(store)).isInstanceOfSatisfying(PhantomException.class,
        e -> assertThat(e.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED));
    assertThat(store.tags).isEmpty();
  }
}
