package dev.phantom.zygote.image;

import static dev.phantom.zygote.image.StoreFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.phantom.support.PhantomException;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Node caches against a real store over the event bus: materialization, delta sync, dedup, corruption. */
class NodeImagesTest {

  @TempDir
  Path dir;
  StoreFixture store;
  final List<NodeImages> caches = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    store = new StoreFixture(dir);
  }

  @AfterEach
  void stop() {
    caches.forEach(NodeImages::close);
    if (store != null) {
      store.close();
    }
  }

  NodeImages cache(String name) throws IOException {
    NodeImages images = store.openCache(name);
    caches.add(images);
    return images;
  }

  static byte[] random(long seed, int size) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** 12 files of 40 KiB to 200 KiB (several chunks each), a subdirectory, a symlink, a hardlink. */
  Path sampleTree(String name) throws IOException {
    Path src = store.source(name);
    Files.createDirectories(src.resolve("bin"));
    Files.createDirectories(src.resolve("data/deep"));
    for (int i = 0; i < 12; i++) {
      Files.write(src.resolve("data/f" + i), random(i, 40_000 + i * 15_000));
    }
    Files.writeString(src.resolve("bin/tool"), "#!/bin/sh\necho tool\n");
    Files.setPosixFilePermissions(src.resolve("bin/tool"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(src.resolve("data/deep/note"), "hello image\n");
    Files.createSymbolicLink(src.resolve("data/link"), Path.of("deep/note"));
    Files.createLink(src.resolve("data/deep/note2"), src.resolve("data/deep/note"));
    Files.setPosixFilePermissions(src.resolve("data/deep"), PosixFilePermissions.fromString("r-xr-x---"));
    return src;
  }

  static Object ino(Path p) throws IOException {
    return Files.getAttribute(p, "unix:ino", LinkOption.NOFOLLOW_LINKS);
  }

  @Test
  void materializesAManifestAsATreeOfHardLinksAndReusesIt() throws IOException {
    Path src = sampleTree("v1");
    String manifest = store.importDir(src, "sample:v1");
    NodeImages images = cache("cache");
    assertThat(await(images.resolve("sample:v1"))).isEqualTo(manifest);

    Path tree = await(images.materialize(manifest, null));
    assertThat(tree.getFileName().toString()).isEqualTo(manifest);
    for (int i = 0; i < 12; i++) {
      assertThat(Files.readAllBytes(tree.resolve("data/f" + i))).isEqualTo(Files.readAllBytes(src.resolve("data/f" + i)));
    }
    assertThat(Files.readString(tree.resolve("data/link"))).isEqualTo("hello image\n");
    assertThat(Files.readSymbolicLink(tree.resolve("data/link"))).isEqualTo(Path.of("deep/note"));
    assertThat(ino(tree.resolve("data/deep/note2"))).isEqualTo(ino(tree.resolve("data/deep/note")));
    assertThat(Files.getPosixFilePermissions(tree.resolve("bin/tool"))).isEqualTo(PosixFilePermissions.fromString("rwxr-xr-x"));
    assertThat(Files.getPosixFilePermissions(tree.resolve("data/deep"))).isEqualTo(PosixFilePermissions.fromString("r-xr-x---"));
    assertThat(images.counters().treesMaterialized()).isEqualTo(1);
    assertThat(images.counters().filesMaterialized()).isEqualTo(14); // the hardlink is the same file
    long fetched = images.counters().chunksFetched();
    assertThat(fetched).isPositive();
    assertThat(images.counters().bytesFetched()).isGreaterThan(12 * 40_000L);

    assertThat(await(images.materialize(manifest, null))).isEqualTo(tree);
    assertThat(images.counters().treesReused()).isEqualTo(1);
    assertThat(images.counters().chunksFetched()).isEqualTo(fetched);
    assertThat(store.meters.get("phantom.zygote.image.trees.reused").functionCounter().count()).isEqualTo(1);

    // Reopened (a restarted zygote): the tree is still there, and unfinished objects are gone.
    Files.writeString(dir.resolve("cache/tmp/999-1"), "half a file");
    NodeImages again = cache("cache");
    assertThat(dir.resolve("cache/tmp")).isEmptyDirectory();
    assertThat(await(again.materialize(manifest, null))).isEqualTo(tree);
    assertThat(again.counters().treesReused()).isEqualTo(1);
  }

  @Test
  void aSecondVersionFetchesOnlyTheChunksOfItsChangedFile() throws IOException {
    Path v1 = sampleTree("v1");
    NodeImages images = cache("cache");
    await(images.materialize(store.importDir(v1, "sample:v1"), null));
    long chunksBefore = images.counters().chunksFetched();
    long filesBefore = images.counters().filesMaterialized();

    Path v2 = sampleTree("v2");
    byte[] changed = random(99, 30_000); // smaller than FastCDC's minimum: one chunk
    Files.write(v2.resolve("data/f3"), changed);
    Path tree = await(images.materialize(store.importDir(v2, "sample:v2"), null));

    assertThat(images.counters().chunksFetched() - chunksBefore).isEqualTo(1);
    assertThat(images.counters().filesMaterialized() - filesBefore).isEqualTo(1);
    assertThat(Files.readAllBytes(tree.resolve("data/f3"))).isEqualTo(changed);
    assertThat(images.counters().treesMaterialized()).isEqualTo(2);
  }

  @Test
  void identicalFilesInTwoImagesAreOneInode() throws IOException {
    Path a = store.source("a");
    Path b = store.source("b");
    byte[] shared = random(7, 100_000);
    Files.write(a.resolve("lib.so"), shared);
    Files.createDirectories(b.resolve("usr/lib"));
    Files.write(b.resolve("usr/lib/same.so"), shared);
    Files.writeString(b.resolve("other"), "only in b");
    NodeImages images = cache("cache");
    Path ta = await(images.materialize(store.importDir(a, "a:1"), null));
    long fetched = images.counters().chunksFetched();
    Path tb = await(images.materialize(store.importDir(b, "b:1"), null));

    assertThat(ino(ta.resolve("lib.so"))).isEqualTo(ino(tb.resolve("usr/lib/same.so")));
    assertThat(images.counters().chunksFetched() - fetched).as("only the new file's chunk").isEqualTo(1);
    // Another owner is another inode: owners are part of a file's key.
    if (dev.phantom.zygote.bwrap.BwrapLauncher.runningAsRoot()) {
      Path owned = await(images.materialize(store.importDir(a, "a:1"), new NodeImages.Owner(4321, 4322)));
      assertThat(owned).isNotEqualTo(ta);
      assertThat(Files.getAttribute(owned.resolve("lib.so"), "unix:uid")).isEqualTo(4321);
      assertThat(Files.getAttribute(owned.resolve("lib.so"), "unix:gid")).isEqualTo(4322);
      assertThat(ino(owned.resolve("lib.so"))).isNotEqualTo(ino(ta.resolve("lib.so")));
      assertThat(Files.readAllBytes(owned.resolve("lib.so"))).isEqualTo(shared);
    }
  }

  @Test
  void aCorruptCachedChunkIsDeletedAndFetchedAgainNeverServed() throws IOException {
    Path a = store.source("a");
    byte[] content = random(3, 20_000);
    Files.write(a.resolve("file"), content);
    NodeImages images = cache("cache");
    await(images.materialize(store.importDir(a, "a:1"), null));
    // Corrupt the cached chunk, and drop the materialized file so that the next image must rebuild it.
    Path chunk;
    try (Stream<Path> s = Files.walk(dir.resolve("cache/chunks"))) {
      chunk = s.filter(Files::isRegularFile).findFirst().orElseThrow();
    }
    byte[] bad = Files.readAllBytes(chunk);
    bad[100] ^= 1;
    Files.write(chunk, bad);
    try (Stream<Path> s = Files.walk(dir.resolve("cache/files"))) {
      for (Path f : s.filter(Files::isRegularFile).toList()) {
        Files.delete(f);
      }
    }
    Path b = store.source("b");
    Files.write(b.resolve("renamed"), content);
    long fetched = images.counters().chunksFetched();
    Path tree = await(images.materialize(store.importDir(b, "b:1"), null));

    assertThat(Files.readAllBytes(tree.resolve("renamed"))).isEqualTo(content);
    assertThat(images.counters().corruptChunks()).isEqualTo(1);
    assertThat(images.counters().chunksFetched() - fetched).isEqualTo(1);
    assertThat(Files.readAllBytes(chunk)).isEqualTo(content);
  }

  @Test
  void concurrentMaterializationsOfOneManifestBuildItOnce() throws IOException {
    String manifest = store.importDir(sampleTree("v1"), "sample:v1");
    NodeImages one = cache("cache");
    List<Future<Path>> all = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      all.add(one.materialize(manifest, null));
    }
    await(Future.all(all));
    assertThat(all).extracting(Future::result).containsOnly(dir.resolve("cache/trees").resolve(manifest));
    assertThat(one.counters().treesMaterialized()).isEqualTo(1);

    // Two caches over one directory (as after a restart racing a slow build): the rename decides, both work.
    NodeImages x = cache("shared");
    NodeImages y = cache("shared");
    Future<Path> fx = x.materialize(manifest, null);
    Future<Path> fy = y.materialize(manifest, null);
    await(Future.all(fx, fy));
    assertThat(fx.result()).isEqualTo(fy.result());
    assertThat(Files.readString(fx.result().resolve("data/deep/note"))).isEqualTo("hello image\n");
    assertThat(dir.resolve("shared/tmp")).isEmptyDirectory();
  }

  @Test
  void unknownImagesAreNotFound() throws IOException {
    NodeImages images = cache("cache");
    PhantomException tag = catchThrowableOfType(PhantomException.class, () -> await(images.resolve("nothing:here")));
    assertThat(tag.status()).isEqualTo(GrpcStatus.NOT_FOUND);
    assertThat(tag.getMessage()).contains("nothing:here");
    PhantomException manifest = catchThrowableOfType(PhantomException.class,
        () -> await(images.materialize("ab".repeat(32), null)));
    assertThat(manifest.status()).isEqualTo(GrpcStatus.NOT_FOUND);
    PhantomException bad = catchThrowableOfType(PhantomException.class, () -> await(images.materialize("nope", null)));
    assertThat(bad.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
    assertThat(dir.resolve("cache/trees")).isEmptyDirectory();
  }
}
