package dev.phantom.zygote.image;

import static dev.phantom.zygote.image.StoreFixture.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phantom.support.testing.SandboxHost;
import dev.phantom.zygote.TestProfiles;
import dev.phantom.zygote.ZygoteConfig;
import dev.phantom.zygote.ZygoteVerticle;
import dev.phantom.zygote.bwrap.BwrapLauncher;
import dev.phantom.zygote.core.Mount;
import dev.phantom.zygote.core.RunSpec;
import dev.phantom.zygote.core.SandboxProfile;
import dev.phantom.zygote.pool.WarmSpawnBenchmark;
import dev.phantom.zygote.workspace.Workspaces;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prints how long a 10,000-file image takes to materialize on a node, from a warm cache (chunks and files
 * present, the tree not) and a cold one (chunks present, files not), and the start of {@code true} on an
 * image root against the host-path profile, alternating in one run. Not a pass/fail test: run with
 * {@code -Dphantom.bench=true}.
 */
class ImageBenchmark {

  static final int FILES = Integer.getInteger("phantom.bench.files", 10_000);
  static final int ROUNDS = Integer.getInteger("phantom.bench.rounds", 10);
  static final int RUNS = Integer.getInteger("phantom.bench.runs", 50);

  @TempDir
  Path dir;

  @Test
  void materializeAndSandboxStart() throws Exception {
    assumeTrue(Boolean.getBoolean("phantom.bench"), "benchmark: run with -Dphantom.bench=true");
    SandboxHost.assumeBubblewrap();
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    try (StoreFixture store = new StoreFixture(dir)) {
      Path src = store.source("many");
      Random random = new Random(1);
      for (int d = 0; d < FILES / 100; d++) {
        Path sub = Files.createDirectories(src.resolve("d" + d));
        for (int f = 0; f < 100; f++) {
          byte[] data = new byte[256 + random.nextInt(4096)];
          random.nextBytes(data);
          Files.write(sub.resolve("f" + f), data);
        }
      }
      long t0 = System.nanoTime();
      String manifest = store.importDir(src, "many:1");
      long imported = System.nanoTime() - t0;
      NodeImages images = store.openCache("cache");
      Path trees = dir.resolve("cache/trees");
      Path files = dir.resolve("cache/files");
      t0 = System.nanoTime();
      await(images.materialize(manifest, null));
      long first = System.nanoTime() - t0;
      long[] warm = new long[ROUNDS];
      long[] cold = new long[ROUNDS];
      for (int i = 0; i < ROUNDS; i++) {
        // Measured once the deletions are on disk: their journal commit would otherwise land in the timing.
        Workspaces.deleteTree(trees.resolve(manifest));
        sync();
        long s = System.nanoTime();
        await(images.materialize(manifest, null));
        warm[i] = System.nanoTime() - s;
        // Cold: a new owner is a new key for every file, so all are written from the cached chunks.
        NodeImages.Owner owner = new NodeImages.Owner(20_000 + i, 20_000 + i);
        sync();
        s = System.nanoTime();
        await(images.materialize(manifest, BwrapLauncher.runningAsRoot() ? owner : null));
        cold[i] = System.nanoTime() - s;
        if (!BwrapLauncher.runningAsRoot()) {
          Workspaces.deleteTree(trees.resolve(manifest));
          Workspaces.deleteTree(files);
          Files.createDirectories(files);
        }
      }
      System.out.printf("image of %d files in %d directories (%s)%n", FILES, FILES / 100, images.counters());
      System.out.printf("  import into the store: %.1f ms; first materialization, all chunks fetched: %.1f ms%n",
          imported / 1e6, first / 1e6);
      System.out.printf("  materialize, %d rounds alternating (median / p90 / p99, ms)%n", ROUNDS);
      System.out.printf("    warm cache (chunks and files present, tree not): %s%n", WarmSpawnBenchmark.stats(warm));
      System.out.printf("    cold cache (chunks present, files not):          %s%n", WarmSpawnBenchmark.stats(cold));
      images.close();

      sandboxStart(store);
    }
  }

  private static void sync() throws Exception {
    new ProcessBuilder("sync").inheritIO().start().waitFor();
  }

  /** `true` cold through the launcher: host-path minimal profile against the same mounts over an image root. */
  private void sandboxStart(StoreFixture store) throws Exception {
    store.importDir(SmallRoot.build(store.source("root")), "tiny-root:1");
    ZygoteVerticle.Setup setup = ZygoteVerticle.setUp(
        ZygoteConfig.fromJson(new JsonObject().put("stateDir", dir.resolve("state").toString())), "bench");
    BwrapLauncher launcher = setup.launcher();
    NodeImages images = NodeImages.open(store.vertx(), setup.stateDir().images(),
        new BusImageSource(store.vertx().eventBus()), BwrapLauncher.runningAsRoot(), store.meters);
    try {
      SandboxProfile host = TestProfiles.minimal();
      SandboxProfile bare = new SandboxProfile("imaged", "sha256:imaged", TestProfiles.ALLOW_ALL,
          List.of(new Mount.Proc("/proc"), new Mount.Dev("/dev"), new Mount.Tmpfs("/tmp", 16L << 20)),
          Map.of("PATH", "/usr/bin:/bin"), "sandbox", "/tmp", 1000, 1000, host.limits(), "tiny-root:1");
      SandboxProfile imaged = await(new ImageProfiles(images, store.vertx(), 60_000, InstantSource.system(), 0, "bench").apply(bare));
      long[] onHost = new long[RUNS];
      long[] onImage = new long[RUNS];
      for (int i = -5; i < RUNS; i++) {
        long t0 = System.nanoTime();
        launcher.launch(host, RunSpec.of("h" + i, List.of("true"), Duration.ofSeconds(10), 1 << 20), null)
            .outcome().toCompletableFuture().get(10, TimeUnit.SECONDS);
        long t1 = System.nanoTime();
        var outcome = launcher.launch(imaged, RunSpec.of("i" + i, List.of("true"), Duration.ofSeconds(10), 1 << 20), null)
            .outcome().toCompletableFuture().get(10, TimeUnit.SECONDS);
        long t2 = System.nanoTime();
        if (!(outcome.termination() instanceof dev.phantom.zygote.core.Termination.Exited(int code)) || code != 0) {
          throw new AssertionError("true failed on the image: " + outcome);
        }
        if (i >= 0) {
          onHost[i] = t1 - t0;
          onImage[i] = t2 - t1;
        }
      }
      System.out.printf("`true` spawned cold through the launcher, %d rounds alternating (median / p90 / p99, ms)%n", RUNS);
      System.out.printf("  host paths (minimal: /usr bound from the host): %s%n", WarmSpawnBenchmark.stats(onHost));
      System.out.printf("  image root (%d top-level binds of the tree):    %s%n",
          imaged.mounts().size() - bare.mounts().size(), WarmSpawnBenchmark.stats(onImage));
    } finally {
      images.close();
      launcher.close();
      setup.stateDir().close();
    }
  }
}
