package dev.phantom.gateway.cli;

import dev.phantom.support.mesh.PhantomNode;
import java.util.concurrent.CountDownLatch;

/** Keeps a started node serving until the process is interrupted, then closes it cleanly. */
final class Foreground {

  private Foreground() {}

  static int serve(PhantomNode node) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.close().toCompletionStage().toCompletableFuture().join();
      stopped.countDown();
    }, "phantom-shutdown"));
    stopped.await();
    return 0;
  }
}
