package dev.phantom.store;

import dev.phantom.store.bus.BusChunkPeers;
import dev.phantom.store.bus.StoreBusEndpoint;
import dev.phantom.support.HostArch;
import dev.phantom.support.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wiring of the store role: config, a worker pool for the store's blocking calls (imports take
 * minutes, so it allows long tasks), a thread pool for the import pipeline, and the bus endpoint. The
 * data directory is opened on first use ({@link StoreHolder}).
 */
public final class StoreVerticle extends VerticleBase {

  /** Blocking calls at once: imports, GC and chunk batches; more wait in the pool's queue. */
  static final int BLOCKING_THREADS = 8;
  static final long EXPIRY_PERIOD_MS = 30_000;

  private final ServiceContext context;
  private StoreHolder holder;
  private WorkerExecutor blocking;
  private ExecutorService ingestWorkers;
  private StoreBusEndpoint endpoint;

  public StoreVerticle(ServiceContext context) {
    this.context = context;
  }

  @Override
  public Future<?> start() {
    StoreConfig config;
    try {
      config = StoreConfig.from(context.config());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    holder = new StoreHolder(config, new StoreMetrics(context.meters()));
    blocking = vertx.createSharedWorkerExecutor("phantom-store", BLOCKING_THREADS, 6, TimeUnit.HOURS);
    AtomicInteger n = new AtomicInteger();
    ingestWorkers = Executors.newFixedThreadPool(config.options().workers(), r -> {
      Thread t = new Thread(r, "phantom-store-ingest-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    // A chunk found corrupt is asked of the zygote nodes' caches before a read fails with DATA_LOSS.
    endpoint = new StoreBusEndpoint(holder, blocking, ingestWorkers, HostArch.current(),
        new BusChunkPeers(vertx, BusChunkPeers.DEFAULT_WAIT_MS));
    vertx.setPeriodic(EXPIRY_PERIOD_MS, id -> endpoint.expireUploads(System.currentTimeMillis()));
    return endpoint.register(vertx.eventBus());
  }

  @Override
  public Future<?> stop() {
    return vertx.executeBlocking(() -> {
      if (endpoint != null) {
        endpoint.close();
      }
      if (ingestWorkers != null) {
        ingestWorkers.shutdownNow();
      }
      if (holder != null) {
        holder.close();
      }
      return null;
    }).eventually(() -> blocking == null ? Future.succeededFuture() : blocking.close());
  }
}
