package dev.phantom.store;

import dev.phantom.store.fs.TestClock;
import dev.phantom.store.ingest.ImportResult;
import dev.phantom.store.ingest.Importer;
import dev.phantom.store.ingest.Tars;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The process {@code KillNineIT} kills: imports images, drops older ones and collects garbage with no
 * grace period, all at once, and prints a line for everything acknowledged, only after the call
 * returned. Runs until killed.
 */
public final class CrashChild {

  private CrashChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    FragmentStore store = FragmentStore.open(dir, StoreOptions.defaults().withGcGrace(Duration.ZERO),
        TestClock.realNow(), StoreMetrics.none());
    ExecutorService workers = Executors.newFixedThreadPool(2);
    Importer importer = new Importer(store, workers, "x86_64");
    byte[] shared = new byte[3 << 20];
    new Random(1).nextBytes(shared);
    Thread collector = new Thread(() -> {
      while (true) {
        ack("gc " + store.collectGarbage().deletedChunks());
      }
    });
    collector.setDaemon(true);
    collector.start();
    Random random = new Random();
    for (int i = 0; ; i++) {
      byte[] own = new byte[(1 << 20) + random.nextInt(4 << 20)];
      random.nextBytes(own);
      byte[] tar = new Tars().file("shared.bin", shared, 0644).file("own.bin", own, 0644)
          .file("dir/small.txt", "image " + i).bytes();
      ImportResult result = importer.importStream(new ByteArrayInputStream(tar), "img-" + i);
      ack("tag " + result.tag() + " " + result.manifest().hex());
      if (i >= 3) {
        store.deleteTag("img-" + (i - 3));
        ack("untag img-" + (i - 3) + ":latest");
      }
    }
  }

  private static synchronized void ack(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
