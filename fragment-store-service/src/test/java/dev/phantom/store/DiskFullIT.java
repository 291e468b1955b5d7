package dev.phantom.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.store.bus.StoreFailures;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.StoreException;
import dev.phantom.store.fs.TestClock;
import dev.phantom.store.ingest.ImportResult;
import dev.phantom.store.ingest.Importer;
import dev.phantom.store.ingest.Tars;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store on a 8 MiB tmpfs mounted by the test (root only; never skipped when PHANTOM_MUST_WORK=1):
 * an import that does not fit fails with RESOURCE_EXHAUSTED, leaves no tag and no temporary file, the
 * images stored before still read back, and the store works again once space is freed.
 */
class DiskFullIT {

  @TempDir
  Path dir;
  Path mount;

  @BeforeEach
  void mountTmpfs() throws Exception {
    boolean root = "root".equals(System.getProperty("user.name"));
    if (!"1".equals(System.getenv("PHANTOM_MUST_WORK"))) {
      Assumptions.assumeTrue(root, "mounting a tmpfs needs root");
    }
    mount = Files.createDirectories(dir.resolve("small"));
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mount.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("mount: " + out).isZero();
  }

  @AfterEach
  void unmount() throws Exception {
    if (mount != null) {
      new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor();
    }
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void aFullDiskIsResourceExhaustedAndTheStoreStaysConsistent() throws Exception {
    ExecutorService workers = Executors.newFixedThreadPool(2);
    TestClock clock = TestClock.realNow();
    try (FragmentStore store = FragmentStore.open(mount.resolve("store"), StoreOptions.defaults()
        .withGcGrace(Duration.ZERO), clock, StoreMetrics.none())) {
      Importer importer = new Importer(store, workers, "x86_64");
      byte[] first = random(2 << 20, 1);
      Path small = Files.write(dir.resolve("small.tar"), new Tars().file("a.bin", first, 0644).bytes());
      ImportResult kept = importer.importPath(small, "kept");

      // Random bytes do not compress: 12 MiB cannot fit in what is left of 8.
      Path big = Files.write(dir.resolve("big.tar"), new Tars().file("b.bin", random(12 << 20, 2), 0644).bytes());
      assertThatThrownBy(() -> importer.importPath(big, "too-big")).isInstanceOfSatisfying(StoreException.class, e -> {
        assertThat(e.reason()).isEqualTo(StoreException.Reason.DISK_FULL);
        assertThat(StoreFailures.toPhantom(e).status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
        assertThat(e.getMessage()).contains("disk is full");
      });

      assertThat(store.listTags()).containsOnlyKeys("kept:latest");
      assertThat(KillNineIT.filesUnder(mount.resolve("store/tmp"))).isEmpty();
      FragmentStore.Walk walk = store.walk(kept.manifest(), FragmentStore.WalkMode.CHECK);
      for (Digest chunk : walk.chunkDigests()) {
        store.getChunk(chunk); // verified: nothing half-written is visible
      }
      // Every chunk on disk is whole, including those the failed import did write.
      store.chunkStore().forEach(s -> store.getChunk(s.digest()));

      // Freeing space (the failed import's orphans) lets the store work again.
      clock.advance(Duration.ofMinutes(5));
      assertThat(store.collectGarbage().deletedChunks()).isPositive();
      assertThat(importer.importPath(Files.write(dir.resolve("again.tar"), new Tars().file("c.bin", random(1 << 20, 3),
          0644).bytes()), "again").files()).isEqualTo(1);
    } finally {
      workers.shutdownNow();
    }
  }
}
