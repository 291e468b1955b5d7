package dev.phantom.zygote.image;

import static dev.phantom.zygote.image.StoreFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.Future;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Eviction from a real node cache, fed by a real store; the in-use check against a real bubblewrap mount. */
class EvictionTest {

  static final int FILE = 256 << 10;
  static final int FILES = 4;
  /** One image's files; its chunks are as many bytes again. */
  static final long IMAGE = (long) FILE * FILES;

  @TempDir
  Path dir;
  StoreFixture store;
  final AtomicLong now = new AtomicLong();
  final InstantSource clock = () -> Instant.ofEpochMilli(now.get());
  final List<NodeImages> caches = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    store = new StoreFixture(dir);
  }

  @AfterEach
  void stop() {
    caches.forEach(NodeImages::close);
    store.close();
  }

  NodeImages cache(long maxBytes, long graceMs) throws IOException {
    NodeImages images = NodeImages.open(store.vertx(), dir.resolve("cache"), new BusImageSource(store.vertx().eventBus()),
        false, store.meters, new CacheLimit(maxBytes, graceMs, 0), clock);
    caches.add(images);
    return images;
  }

  /** An image of {@value #FILES} files of random bytes, none shared with another seed's. */
  String image(String name) throws IOException {
    Path src = store.source(name);
    for (int i = 0; i < FILES; i++) {
      byte[] b = new byte[FILE];
      new Random(name.hashCode() * 31L + i).nextBytes(b);
      Files.write(src.resolve("f" + i), b);
    }
    return store.importDir(src, name + ":1");
  }

  void assertSameAsSource(Path tree, String name) throws IOException {
    for (int i = 0; i < FILES; i++) {
      assertThat(Files.readAllBytes(tree.resolve("f" + i))).isEqualTo(Files.readAllBytes(dir.resolve("src").resolve(name).resolve("f" + i)));
    }
  }

  /** Runs a pass once none is running (the one after a build may be). */
  static CacheEvictor.Pass settle(NodeImages images) throws InterruptedException {
    for (int i = 0; i < 1000; i++) {
      CacheEvictor.Pass pass = await(images.evict());
      if (pass != null) {
        return pass;
      }
      Thread.sleep(10);
    }
    throw new AssertionError("an eviction pass never ran");
  }

  Path tree(String manifest) {
    return dir.resolve("cache/trees").resolve(manifest);
  }

  @Test
  void evictsChunksThenTheLeastRecentlyUsedTreesDownToTheCap() throws Exception {
    String a = image("a");
    String b = image("b");
    String c = image("c");
    long cap = IMAGE * 5 / 2;
    NodeImages images = cache(cap, 500);

    await(images.materialize(a, null));
    settle(images);
    now.set(1000);
    await(images.materialize(b, null));
    settle(images);
    assertThat(Files.isDirectory(tree(a))).as("chunks go first").isTrue();
    assertThat(images.counters().evictedChunks()).isPositive();
    assertThat(images.counters().evictedTrees()).isZero();

    now.set(2000);
    await(images.materialize(c, null));
    CacheEvictor.Pass pass = settle(images);
    assertThat(Files.exists(tree(a))).as("the least recently used tree").isFalse();
    assertThat(tree(b)).isDirectory();
    assertThat(tree(c)).isDirectory();
    assertThat(pass.bytesAfter()).isLessThanOrEqualTo(cap);

    now.set(3000);
    await(images.materialize(b, null)); // now c is the least recently used
    now.set(4000);
    Path again = await(images.materialize(a, null));
    settle(images);
    assertSameAsSource(again, "a");
    assertThat(Files.exists(tree(c))).isFalse();
    assertSameAsSource(tree(b), "b");
    assertThat(images.counters().evictedTrees()).isEqualTo(2);
    assertThat(images.counters().cacheBytes()).isLessThanOrEqualTo(cap).isEqualTo(bytesOnDisk());
    assertThat(store.meters.get("phantom.zygote.image.evicted.trees").functionCounter().count()).isEqualTo(2);
    assertThat(store.meters.get("phantom.zygote.image.cache.bytes").gauge().value()).isLessThanOrEqualTo(cap);
    assertThat(dir.resolve("cache/tmp")).isEmptyDirectory();
  }

  long bytesOnDisk() throws IOException {
    long sum = 0;
    for (String sub : List.of("files", "chunks")) {
      try (var all = Files.walk(dir.resolve("cache").resolve(sub))) {
        sum += all.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
      }
    }
    return sum;
  }

  @Test
  void neverEvictsATreeASandboxHasMounted() throws Exception {
    SandboxHost.assumeBubblewrap();
    String a = image("a");
    NodeImages images = cache(0, 1000);
    Path tree = await(images.materialize(a, null));
    settle(images);
    assertThat(tree).as("within the grace").isDirectory();

    Path mnt = Files.createDirectories(dir.resolve("mnt"));
    Process sandbox = new ProcessBuilder("bwrap", "--dev-bind", "/", "/", "--ro-bind", tree.toString(), mnt.toString(),
        "--die-with-parent", "sh", "-c", "wc -c < " + mnt + "/f0; read line; wc -c < " + mnt + "/f3")
        .redirectErrorStream(true).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(sandbox.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).isEqualTo(String.valueOf(FILE));
      now.set(5000);
      CacheEvictor.Pass pass = settle(images);
      assertThat(tree).as("mounted in the sandbox's namespace").isDirectory();
      assertThat(pass.trees()).isZero();
      assertThat(pass.bytesAfter()).isEqualTo(IMAGE); // the chunks went, the files stay
      Writer in = new java.io.OutputStreamWriter(sandbox.getOutputStream(), StandardCharsets.UTF_8);
      in.write("go\n");
      in.flush();
      assertThat(out.readLine()).as("the sandbox still reads its files").isEqualTo(String.valueOf(FILE));
      assertThat(sandbox.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(sandbox.exitValue()).isZero();
    } finally {
      sandbox.destroyForcibly().waitFor();
    }

    CacheEvictor.Pass pass = settle(images);
    assertThat(pass.trees()).isEqualTo(1);
    assertThat(pass.bytesAfter()).isZero();
    assertThat(Files.exists(tree)).isFalse();
    assertSameAsSource(await(images.materialize(a, null)), "a");
  }

  @Test
  void aMaterializationRacingAnEvictionGetsAWholeTree() throws Exception {
    String a = image("a");
    NodeImages images = cache(0, 1000);
    for (int round = 0; round < 8; round++) {
      now.addAndGet(2000); // past the grace: evictable
      Future<CacheEvictor.Pass> pass = images.evict();
      if (round % 2 == 1) {
        settle(images); // odd rounds: a pass wins, the tree is built anew; even rounds: a real race
      }
      Path tree = await(images.materialize(a, null));
      assertSameAsSource(tree, "a"); // read within the grace of this materialization
      await(pass);
    }
    assertThat(images.counters().evictedTrees()).isGreaterThanOrEqualTo(3);
    assertThat(images.counters().treesMaterialized()).isGreaterThan(1);
  }

  @Test
  void neverEvictsTheLowerLayerOfAMountedOverlay() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(dev.phantom.zygote.bwrap.BwrapLauncher.runningAsRoot() || SandboxHost.mustWork(),
        "mounting an overlay needs root");
    String a = image("a");
    NodeImages images = cache(0, 1000);
    Path tree = await(images.materialize(a, null));
    Path upper = Files.createDirectories(dir.resolve("ov/upper"));
    Path work = Files.createDirectories(dir.resolve("ov/work"));
    Path merged = Files.createDirectories(dir.resolve("ov/merged"));
    // As Workspaces mounts a restored snapshot: lower = the tree.
    assertThat(new ProcessBuilder("mount", "-t", "overlay", "overlay", "-o",
        "lowerdir=" + tree + ",upperdir=" + upper + ",workdir=" + work, merged.toString()).inheritIO().start().waitFor()).isZero();
    try {
      now.set(5000);
      assertThat(settle(images).trees()).isZero();
      assertThat(tree).isDirectory();
      assertThat(Files.size(merged.resolve("f2"))).isEqualTo(FILE);
    } finally {
      new ProcessBuilder("umount", merged.toString()).inheritIO().start().waitFor();
    }
    assertThat(settle(images).trees()).isEqualTo(1);
    assertThat(Files.exists(tree)).isFalse();
  }
}
