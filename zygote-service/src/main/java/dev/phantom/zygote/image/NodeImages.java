package dev.phantom.zygote.image;

import dev.phantom.store.core.Digest;
import dev.phantom.store.core.Tree;
import dev.phantom.support.PhantomException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.StampedLock;
import java.util.logging.Logger;

/**
 * Images on this node: manifests of the fragment store materialized as directory trees of hard links into
 * the node cache ({@link NodeCache}), fetching from the store only what the cache lacks (delta sync).
 *
 * <p>Threads: callable from any thread; file work runs on a worker pool of its own, never on an event
 * loop. Concurrent materializations of one tree share one build.
 *
 * <p>Eviction: after each build and every {@link CacheLimit#checkEveryMs()}, a {@link CacheEvictor} pass
 * brings the cache under {@link CacheLimit#maxBytes()}. Builds hold a read stamp of {@link #guard} for their
 * whole length and a pass its write stamp, so a pass never removes a chunk or file a build has counted on;
 * a pass that finds a build running waits for the next check rather than stall it.
 */
public final class NodeImages implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(NodeImages.class.getName());
  /** Worker threads for cache work; a tree build is one thread, these let two images build at once. */
  static final int WORKERS = 2;
  /** Rounds of fetching before a chunk that keeps arriving corrupt fails the materialization. */
  static final int FETCH_ROUNDS = 3;
  /** GetChunks requests in flight per materialization. */
  static final int FETCH_LANES = 4;

  /** Host owner given to every entry of a tree. */
  public record Owner(int uid, int gid) {}

  private final NodeCache cache;
  private final TreeWriter trees;
  private final ImageSource source;
  private final WorkerExecutor workers;
  private final ImageCounters counters;
  private final Timer buildTime;
  private final Map<String, Future<Path>> building = new ConcurrentHashMap<>();
  private final TreeUses uses;
  private final CacheEvictor evictor;
  private final InstantSource clock;
  private final StampedLock guard = new StampedLock();
  private final AtomicBoolean evicting = new AtomicBoolean();
  private final Vertx vertx;
  private final long checkTimer;

  private NodeImages(Vertx vertx, NodeCache cache, ImageSource source, WorkerExecutor workers, ImageCounters counters,
      MeterRegistry meters, CacheLimit limit, InstantSource clock) throws IOException {
    this.vertx = vertx;
    this.cache = cache;
    this.clock = clock;
    this.uses = new TreeUses();
    for (String name : cache.treeNames()) {
      uses.add(name, clock.millis());
    }
    this.evictor = new CacheEvictor(cache, uses, TreeMounts.host(), limit, clock, counters);
    this.checkTimer = limit.checkEveryMs() > 0 ? vertx.setPeriodic(limit.checkEveryMs(), id -> evict()) : -1;
    this.trees = new TreeWriter(cache);
    this.source = source;
    this.workers = workers;
    this.counters = counters;
    this.buildTime = Timer.builder("phantom.zygote.image.build").description("Time to materialize an image tree on this node")
        .register(meters);
  }

  /**
   * Blocking: opens (creates) the node cache in {@code dir} and removes unfinished objects of an earlier run.
   *
   * @param root whether this process may give files to other owners (it runs as root)
   */
  public static NodeImages open(Vertx vertx, Path dir, ImageSource source, boolean root, MeterRegistry meters)
      throws IOException {
    return open(vertx, dir, source, root, meters, CacheLimit.of(CacheLimit.DEFAULT_MAX_BYTES), InstantSource.system());
  }

  /** Blocking, as {@link #open(Vertx, Path, ImageSource, boolean, MeterRegistry)}, with a cap on the cache. */
  public static NodeImages open(Vertx vertx, Path dir, ImageSource source, boolean root, MeterRegistry meters,
      CacheLimit limit, InstantSource clock) throws IOException {
    ImageCounters counters = new ImageCounters();
    NodeCache cache = NodeCache.open(dir, root, counters);
    counters.register(meters);
    return new NodeImages(vertx, cache, source, vertx.createSharedWorkerExecutor("phantom-images", WORKERS), counters,
        meters, limit, clock);
  }

  /**
   * Brings the cache under its cap now, unless a pass or a build is running (the check after that build
   * does it); the pass's result, or null when skipped.
   */
  Future<CacheEvictor.Pass> evict() {
    if (!evicting.compareAndSet(false, true)) {
      return Future.succeededFuture();
    }
    return workers.<CacheEvictor.Pass>executeBlocking(() -> {
      long stamp = guard.tryWriteLock();
      if (stamp == 0) {
        return null;
      }
      try {
        return evictor.run();
      } finally {
        guard.unlockWrite(stamp);
      }
    }, false).onComplete(r -> evicting.set(false))
        .onFailure(e -> LOG.warning("image cache " + cache.dir() + ": eviction failed: " + e));
  }

  public ImageCounters counters() {
    return counters;
  }

  /** Tag ("python-ml:latest") → manifest digest hex, asked of the store. */
  public Future<String> resolve(String tag) {
    return source.resolve(tag).map(Digest::hex);
  }

  /**
   * Materializes the manifest (64 lowercase hex) as a directory tree of hard links into the file cache;
   * owner null keeps the manifest's uid/gid, otherwise every entry gets that host uid/gid. Returns the
   * tree's directory; never modify it. Fetches missing trees and chunks from the store.
   */
  public Future<Path> materialize(String manifestHex, Owner owner) {
    Digest root;
    try {
      root = Digest.parse(manifestHex);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(PhantomException.invalidArgument("image manifest: " + e.getMessage()));
    }
    String name = owner == null ? root.hex() : root.hex() + "-" + owner.uid() + "-" + owner.gid();
    if (uses.touch(name, clock.millis())) {
      // Known in place: no hop to a worker. Touching protects it from eviction for the grace.
      counters.treesReused.incrementAndGet();
      return Future.succeededFuture(cache.tree(name));
    }
    Promise<Path> promise = Promise.promise();
    Future<Path> running = building.putIfAbsent(name, promise.future());
    if (running != null) {
      return running;
    }
    long start = System.nanoTime();
    long[] stamp = {0};
    blocking(() -> {
      stamp[0] = guard.readLock();
      return cache.hasTree(name);
    }).compose(present -> {
      if (present) {
        counters.treesReused.incrementAndGet();
        return Future.succeededFuture(cache.tree(name));
      }
      return source.manifest(root)
          .compose(trees -> blocking(() -> ImagePlan.of(root, verified(root, trees), owner)))
          .compose(plan -> blocking(() -> trees.start(plan)))
          .compose(build -> fill(root, build.missingFiles(), 1)
              .compose(v -> blocking(() -> trees.finish(build, name)))
              .onFailure(e -> workers.executeBlocking(() -> {
                trees.abandon(build);
                return null;
              }, false)))
          .map(tree -> {
            counters.treesMaterialized.incrementAndGet();
            buildTime.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            LOG.fine(() -> "image " + root.shortHex() + " materialized in " + tree);
            return tree;
          });
    }).onComplete(result -> {
      if (result.succeeded()) {
        uses.add(name, clock.millis());
      }
      if (stamp[0] != 0) {
        guard.unlockRead(stamp[0]);
      }
      building.remove(name, promise.future());
      promise.handle(result);
      if (result.succeeded()) {
        evict();
      }
    });
    return promise.future();
  }

  /** Brings {@code files} into the cache, fetching the chunks they lack; corrupt ones again. */
  private Future<Void> fill(Digest root, List<FileKey> files, int round) {
    if (files.isEmpty()) {
      return Future.succeededFuture();
    }
    return blocking(() -> {
      List<Digest> absent = new ArrayList<>();
      for (Digest d : ImagePlan.chunks(files)) {
        if (!cache.hasChunk(d)) {
          absent.add(d);
        }
      }
      return absent;
    }).compose(absent -> fetch(absent).compose(v -> blocking(() -> cache.writeFiles(files))))
        .compose(lacking -> {
          if (lacking.isEmpty()) {
            return Future.succeededFuture();
          }
          if (round >= FETCH_ROUNDS) {
            return Future.failedFuture(new PhantomException(GrpcStatus.DATA_LOSS, "image " + root.shortHex() + ": "
                + lacking.size() + " chunks stayed missing or corrupt after " + round + " fetches, e.g. "
                + lacking.iterator().next().hex()));
          }
          return fill(root, files, round + 1);
        });
  }

  /**
   * Fetches chunks in batches of {@link ImageSource#MAX_CHUNKS_PER_CALL}, {@value #FETCH_LANES} batches in
   * flight: the store reads and decompresses one while the cache writes another.
   */
  private Future<Void> fetch(List<Digest> chunks) {
    List<List<Digest>> batches = new ArrayList<>();
    for (int from = 0; from < chunks.size(); from += ImageSource.MAX_CHUNKS_PER_CALL) {
      batches.add(chunks.subList(from, Math.min(chunks.size(), from + ImageSource.MAX_CHUNKS_PER_CALL)));
    }
    AtomicInteger next = new AtomicInteger();
    List<Future<Void>> lanes = new ArrayList<>();
    for (int i = 0; i < Math.min(FETCH_LANES, batches.size()); i++) {
      lanes.add(lane(batches, next));
    }
    return Future.all(lanes).mapEmpty();
  }

  /**
   * Copies of those of {@code digests} this node's cache holds, each verified as it is read (absent and
   * corrupt ones left out): for a store that found its own copy corrupt.
   */
  public Future<Map<Digest, byte[]>> cachedChunks(List<Digest> digests) {
    return blocking(() -> {
      Map<Digest, byte[]> out = new java.util.LinkedHashMap<>();
      for (Digest d : digests) {
        byte[] data = cache.readChunk(d);
        if (data != null) {
          out.put(d, data);
        }
      }
      return out;
    });
  }

  private Future<Void> lane(List<List<Digest>> batches, AtomicInteger next) {
    int i = next.getAndIncrement();
    if (i >= batches.size()) {
      return Future.succeededFuture();
    }
    List<Digest> batch = batches.get(i);
    return source.chunks(batch).compose(data -> blocking(() -> {
      cache.putChunks(batch, data);
      counters.chunksFetched.addAndGet(batch.size());
      counters.bytesFetched.addAndGet(data.stream().mapToLong(b -> b.length).sum());
      return (Void) null;
    })).compose(v -> lane(batches, next));
  }

  /** The tree nodes by digest, each checked: the store is trusted for availability, not for content. */
  private static Map<Digest, Tree> verified(Digest root, List<byte[]> encoded) {
    Map<Digest, Tree> trees = new HashMap<>();
    for (byte[] bytes : encoded) {
      try {
        trees.put(Digest.of(bytes), Tree.decode(bytes));
      } catch (IllegalArgumentException e) {
        throw new PhantomException(GrpcStatus.DATA_LOSS, "image " + root.shortHex() + " has an invalid tree: " + e.getMessage());
      }
    }
    if (!trees.containsKey(root)) {
      throw new PhantomException(GrpcStatus.DATA_LOSS, "the store's manifest " + root.shortHex() + " lacks its root tree");
    }
    return trees;
  }

  private <T> Future<T> blocking(Callable<T> work) {
    return workers.<T>executeBlocking(work, false).recover(failure -> Future.failedFuture(
        failure instanceof PhantomException p ? p
            : failure instanceof IllegalArgumentException e ? new PhantomException(GrpcStatus.DATA_LOSS, "image: " + e.getMessage())
            : PhantomException.internal("image cache " + cache.dir() + ": " + failure)));
  }

  @Override
  public void close() {
    vertx.cancelTimer(checkTimer);
    workers.close();
  }
}
