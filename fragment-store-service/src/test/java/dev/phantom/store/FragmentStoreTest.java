package dev.phantom.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.store.core.Digest;
import dev.phantom.store.core.Entry;
import dev.phantom.store.core.Meta;
import dev.phantom.store.core.StoreException;
import dev.phantom.store.core.Tree;
import dev.phantom.store.fs.TestClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FragmentStoreTest {

  @TempDir
  Path dir;
  final TestClock clock = TestClock.realNow();
  FragmentStore store;

  @BeforeEach
  void open() {
    store = FragmentStore.open(dir, StoreOptions.defaults().withGcGrace(Duration.ofMinutes(10)), clock,
        StoreMetrics.none());
  }

  @AfterEach
  void close() {
    store.close();
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A manifest of one file made of the given chunks; returns the root tree's bytes. */
  byte[] manifestOf(String... chunks) {
    List<Entry.ChunkRef> refs = java.util.Arrays.stream(chunks).map(c -> new Entry.ChunkRef(Digest.of(b(c)), c.length()))
        .toList();
    long size = refs.stream().mapToLong(Entry.ChunkRef::length).sum();
    Tree sub = new Tree(List.of(new Entry.File("f", Meta.of(0644, 0, 0, 0), size, refs)));
    return new Tree(List.of(new Entry.Dir("d", Meta.DEFAULT_DIR, sub.digest()))).encode();
  }

  @Test
  void aManifestIsTaggedOnlyWhenEveryPieceIsThere() {
    store.putChunk(b("one"), null);
    byte[] root = manifestOf("one", "two");
    byte[] subBytes = new Tree(List.of(new Entry.File("f", Meta.of(0644, 0, 0, 0), 6, List.of(
        new Entry.ChunkRef(Digest.of(b("one")), 3), new Entry.ChunkRef(Digest.of(b("two")), 3))))).encode();
    assertThatThrownBy(() -> store.putManifest(List.of(root, subBytes), Digest.of(root)))
        .isInstanceOfSatisfying(StoreException.class, e -> {
          assertThat(e.reason()).isEqualTo(StoreException.Reason.INCOMPLETE);
          assertThat(e.getMessage()).contains("chunk " + Digest.of(b("two")).hex());
        });
    store.putChunk(b("two"), null);
    assertThat(store.putManifest(List.of(root, subBytes), Digest.of(root))).isEqualTo(Digest.of(root));
    assertThat(store.setTag("img", Digest.of(root))).isEqualTo("img:latest");
    assertThat(store.resolveTag("img:latest")).isEqualTo(Digest.of(root));
    assertThat(store.getManifest(Digest.of(root))).hasSize(2).first().isEqualTo(root);
  }

  @Test
  void unknownTagsAndDigestMismatchesAreReported() {
    assertThatThrownBy(() -> store.resolveTag("nope")).isInstanceOfSatisfying(StoreException.class,
        e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.NOT_FOUND));
    assertThatThrownBy(() -> store.deleteTag("nope")).isInstanceOfSatisfying(StoreException.class,
        e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.NOT_FOUND));
    assertThatThrownBy(() -> store.putChunk(b("x"), Digest.of(b("y")))).isInstanceOfSatisfying(StoreException.class,
        e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.INVALID));
    assertThatThrownBy(() -> store.setTag("img", Digest.of(b("no such tree"))))
        .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.INCOMPLETE));
  }

  @Test
  void collectionKeepsWhatTagsReachAndWhatIsYoungAndSweepsTheRest() {
    store.putChunk(b("kept"), null);
    store.putChunk(b("orphan"), null);
    byte[] root = manifestOf("kept");
    byte[] sub = new Tree(List.of(new Entry.File("f", Meta.of(0644, 0, 0, 0), 4,
        List.of(new Entry.ChunkRef(Digest.of(b("kept")), 4))))).encode();
    store.putManifest(List.of(root, sub), Digest.of(root));
    store.setTag("img", Digest.of(root));

    GcReport young = store.collectGarbage();
    assertThat(young.deletedChunks()).isZero();
    assertThat(young.keptYoung()).isEqualTo(1);

    clock.advance(Duration.ofHours(1));
    GcReport old = store.collectGarbage();
    assertThat(old.deletedChunks()).isEqualTo(1);
    assertThat(old.reachableChunks()).isEqualTo(1);
    assertThat(store.hasChunks(List.of(Digest.of(b("kept")), Digest.of(b("orphan"))))).containsExactly(true, false);

    store.deleteTag("img");
    clock.advance(Duration.ofHours(1));
    GcReport all = store.collectGarbage();
    assertThat(all.deletedChunks()).isEqualTo(1);
    assertThat(all.deletedTrees()).isEqualTo(2);
    assertThat(store.stats().chunks()).isZero();
  }

  @Test
  void aHasRefreshesSoThatAClientsManifestCanFollowWithinTheGracePeriod() {
    store.putChunk(b("shared"), null);
    clock.advance(Duration.ofHours(1)); // now old and unreachable
    assertThat(store.hasChunks(List.of(Digest.of(b("shared"))))).containsExactly(true);
    store.collectGarbage();
    assertThat(store.hasChunks(List.of(Digest.of(b("shared"))))).containsExactly(true);
  }

  @Test
  void anImportInFlightHoldsBackTheCutoff() throws Exception {
    try (AutoCloseable lease = store.lease()) {
      store.putChunk(b("in flight"), null);
      clock.advance(Duration.ofHours(3));
      assertThat(store.collectGarbage().deletedChunks()).isZero();
    }
    assertThat(store.collectGarbage().deletedChunks()).isEqualTo(1);
  }

  @Test
  void statsCountLogicalUniqueAndStoredBytes() {
    byte[] data = new byte[100_000];
    store.putChunk(data, null);
    Tree sub = new Tree(List.of(
        new Entry.File("a", Meta.of(0644, 0, 0, 0), data.length, List.of(new Entry.ChunkRef(Digest.of(data), data.length))),
        new Entry.File("b", Meta.of(0644, 0, 0, 0), data.length, List.of(new Entry.ChunkRef(Digest.of(data), data.length)))));
    store.putManifest(List.of(sub.encode()), sub.digest());
    store.setTag("two-copies", sub.digest());
    StoreStats stats = store.stats();
    assertThat(stats.logicalBytes()).isEqualTo(200_000);
    assertThat(stats.uniqueBytes()).isEqualTo(100_000);
    assertThat(stats.dedupRatio()).isEqualTo(2.0);
    assertThat(stats.storedBytes()).isLessThan(1000);
    assertThat(stats.tags()).isEqualTo(1);
    assertThat(stats.trees()).isEqualTo(1);
  }

  @Test
  void aCorruptChunkOfATaggedImageDoesNotStopCollection() throws Exception {
    byte[] data = new byte[50_000];
    new java.util.Random(11).nextBytes(data);
    store.putChunk(data, null);
    store.putChunk(b("orphan"), null);
    Tree tree = new Tree(List.of(new Entry.File("f", Meta.of(0644, 0, 0, 0), data.length,
        List.of(new Entry.ChunkRef(Digest.of(data), data.length)))));
    store.putManifest(List.of(tree.encode()), tree.digest());
    store.setTag("img", tree.digest());
    Path file = dir.resolve("chunks").resolve(Digest.of(data).hex().substring(0, 2)).resolve(Digest.of(data).hex());
    byte[] onDisk = java.nio.file.Files.readAllBytes(file);
    onDisk[5] ^= 1;
    java.nio.file.Files.write(file, onDisk);
    assertThatThrownBy(() -> store.getChunk(Digest.of(data))).isInstanceOfSatisfying(StoreException.class,
        e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.CORRUPT));

    clock.advance(Duration.ofHours(1));
    assertThat(store.collectGarbage().deletedChunks()).isEqualTo(1); // the orphan; the image stays tagged
    assertThat(store.stats().logicalBytes()).isEqualTo(data.length);
    // Putting the chunk again makes the image whole.
    store.putChunk(data, null);
    assertThat(store.getChunk(Digest.of(data))).isEqualTo(data);
  }

  @Test
  void aSecondProcessCannotOpenTheSameDirectory() {
    assertThatThrownBy(() -> FragmentStore.open(dir, StoreOptions.defaults(), clock, StoreMetrics.none()))
        .isInstanceOfSatisfying(StoreException.class, e -> {
          assertThat(e.reason()).isEqualTo(StoreException.Reason.LOCKED);
          assertThat(e.getMessage()).contains("in use");
        });
  }
}
