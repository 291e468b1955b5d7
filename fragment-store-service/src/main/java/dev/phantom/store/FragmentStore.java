package dev.phantom.store;

import dev.phantom.store.core.ChunkStore;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.Entry;
import dev.phantom.store.core.StoreException;
import dev.phantom.store.core.TagName;
import dev.phantom.store.core.TagStore;
import dev.phantom.store.core.Tree;
import dev.phantom.store.fs.FsChunkStore;
import dev.phantom.store.fs.FsTagStore;
import dev.phantom.store.fs.StoreDir;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The store's use cases over its ports: chunks, manifests (trees), tags, statistics and garbage
 * collection. Every method blocks (file I/O, fsync): the verticle calls them on worker threads.
 * Thread-safe.
 *
 * <p>Garbage collection is mark and sweep from the tags. It never removes an object written or
 * refreshed after its cutoff, which is the earliest of: its start less the grace period, and the
 * start of any import still running ({@link #lease}). Whatever makes an object reachable refreshes it
 * first ({@link #setTag} walks the manifest and refreshes every object; a put or a "has" of an existing
 * chunk refreshes it), and the check-and-delete of one object is atomic against that refresh, so a
 * tag never names a manifest with a missing piece.
 */
public final class FragmentStore implements AutoCloseable {

  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(FragmentStore.class.getName());
  /** File timestamps come from the kernel's coarse clock, which may lag the JVM's by a tick. */
  static final java.time.Duration CLOCK_SLACK = java.time.Duration.ofSeconds(1);
  /** Missing pieces named in one INCOMPLETE message. */
  static final int MAX_MISSING_LISTED = 8;

  private final StoreDir dir;
  private final StoreOptions options;
  private final ChunkStore chunks;
  private final ChunkStore trees;
  private final TagStore tags;
  private final InstantSource clock;
  private final StoreMetrics metrics;
  private final Map<Long, Instant> leases = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong leaseIds = new java.util.concurrent.atomic.AtomicLong();
  private final ReentrantLock gcLock = new ReentrantLock();
  private final Map<Digest, Long> logicalBytes = new ConcurrentHashMap<>();

  FragmentStore(StoreDir dir, StoreOptions options, ChunkStore chunks, ChunkStore trees, TagStore tags,
      InstantSource clock, StoreMetrics metrics) {
    this.dir = dir;
    this.options = options;
    this.chunks = chunks;
    this.trees = trees;
    this.tags = tags;
    this.clock = clock;
    this.metrics = metrics;
  }

  /** Opens (creating) the store in {@code root}; LOCKED when another process has it. */
  public static FragmentStore open(Path root, StoreOptions options, InstantSource clock, StoreMetrics metrics) {
    StoreDir dir = StoreDir.open(root);
    try {
      FsChunkStore.CorruptionListener listener = (kind, digest, why) -> metrics.corrupt(kind);
      ChunkStore chunks = new FsChunkStore("chunk", dir.chunks(), dir.tmp(), dir.quarantine(), options.zstdLevel(),
          dev.phantom.store.core.ChunkingParams.HIGHEST_MAX, options.fsync(), clock, listener);
      ChunkStore trees = new FsChunkStore("tree", dir.trees(), dir.tmp(), dir.quarantine(), options.zstdLevel(),
          StoreOptions.MAX_TREE_BYTES, options.fsync(), clock, listener);
      return new FragmentStore(dir, options, chunks, trees, new FsTagStore(dir.tags(), dir.tmp()), clock, metrics);
    } catch (RuntimeException e) {
      dir.close();
      throw e;
    }
  }

  public StoreOptions options() {
    return options;
  }

  public Path root() {
    return dir.root();
  }

  ChunkStore chunkStore() {
    return chunks;
  }

  StoreMetrics metrics() {
    return metrics;
  }

  // ---- chunks

  /**
   * Stores one chunk.
   *
   * @param expected the digest the client says the bytes have, or null; a mismatch is INVALID
   */
  public ChunkStore.Put putChunk(byte[] data, Digest expected) {
    Digest digest = Digest.of(data);
    if (expected != null && !expected.equals(digest)) {
      throw StoreException.invalid("chunk said to be " + expected.hex() + " hashes to " + digest.hex());
    }
    ChunkStore.Put put = chunks.put(digest, data, 0, data.length);
    metrics.chunkPut(data.length, put);
    return put;
  }

  /** For the import pipeline, which hashed {@code data[off, off+len)} itself. */
  public ChunkStore.Put putHashedChunk(Digest digest, byte[] data, int off, int len) {
    ChunkStore.Put put = chunks.put(digest, data, off, len);
    metrics.chunkPut(len, put);
    return put;
  }

  /** Stores tree nodes an import built (they are canonical by construction). */
  public void putTree(byte[] encoded) {
    trees.put(encoded, 0, encoded.length);
  }

  /** Makes every tree put so far durable. */
  public void syncTrees() {
    trees.sync();
  }

  /** Makes every chunk put so far durable; a batch is acknowledged only after this. */
  public void syncChunks() {
    chunks.sync();
  }

  /** For each digest, whether the store has it; a "yes" holds for the GC grace period. */
  public List<Boolean> hasChunks(List<Digest> digests) {
    List<Boolean> out = new ArrayList<>(digests.size());
    for (Digest d : digests) {
      out.add(chunks.touch(d));
    }
    return out;
  }

  /**
   * Rewrites a chunk that was found corrupt (and set aside) from a copy a peer holds: checked against its
   * digest, written like any put (temp, fsync, rename) and made durable before this returns.
   *
   * @param peer where the copy came from, for the log
   */
  public void repairChunk(Digest digest, byte[] data, String peer) {
    if (!Digest.of(data).equals(digest)) {
      throw StoreException.invalid("the copy of chunk " + digest.hex() + " from " + peer + " hashes otherwise");
    }
    chunks.put(digest, data, 0, data.length);
    chunks.sync();
    metrics.refetched();
    LOG.warning("chunk " + digest.hex() + " was corrupt on disk; rewritten from a verified copy on node " + peer);
  }

  /** A chunk's bytes, verified; CORRUPT or NOT_FOUND otherwise. */
  public byte[] getChunk(Digest digest) {
    return chunks.get(digest);
  }

  // ---- manifests

  /**
   * Stores the tree nodes of a manifest (any order) and checks that {@code root} and everything below it
   * is in the store.
   *
   * @throws StoreException INVALID for a node that is not canonical, INCOMPLETE naming what is missing
   */
  public Digest putManifest(List<byte[]> nodes, Digest root) {
    for (byte[] node : nodes) {
      try {
        Tree.decode(node);
      } catch (IllegalArgumentException e) {
        throw StoreException.invalid("tree node " + Digest.of(node).shortHex() + ": " + e.getMessage());
      }
      trees.put(node, 0, node.length);
    }
    trees.sync();
    walk(root, WalkMode.REFRESH);
    return root;
  }

  /** Every tree node of a manifest, root first then breadth-first, each verified. */
  public List<byte[]> getManifest(Digest root) {
    List<byte[]> out = new ArrayList<>();
    Set<Digest> seen = new HashSet<>();
    List<Digest> queue = new ArrayList<>(List.of(root));
    for (int i = 0; i < queue.size(); i++) {
      Digest d = queue.get(i);
      if (!seen.add(d)) {
        continue;
      }
      byte[] bytes = readTree(d);
      out.add(bytes);
      for (Entry e : Tree.decode(bytes).entries()) {
        if (e instanceof Entry.Dir sub) {
          queue.add(sub.tree());
        }
      }
    }
    return out;
  }

  /** One tree node, decoded; NOT_FOUND or CORRUPT otherwise. */
  public Tree tree(Digest digest) {
    return Tree.decode(readTree(digest));
  }

  private byte[] readTree(Digest digest) {
    try {
      return trees.get(digest);
    } catch (StoreException e) {
      if (e.reason() == StoreException.Reason.NOT_FOUND) {
        throw StoreException.notFound("no manifest or tree " + digest.hex());
      }
      throw e;
    }
  }

  /** What a manifest holds. */
  public record Walk(long trees, long files, long logicalBytes, Set<Digest> treeDigests, Set<Digest> chunkDigests) {}

  /** How a walk treats the objects it meets. */
  enum WalkMode {
    /** Trees are read; chunks are only listed (marking, statistics): a missing chunk stops nothing. */
    LIST,
    /** Every object must be there. */
    CHECK,
    /** Every object must be there, and is refreshed (see the class comment). */
    REFRESH
  }

  /**
   * Visits a manifest. Trees are always read (and verified): what is below a missing or corrupt tree
   * cannot be known, so that fails every mode.
   *
   * @throws StoreException INCOMPLETE naming up to {@value #MAX_MISSING_LISTED} missing pieces
   */
  Walk walk(Digest root, WalkMode mode) {
    boolean refresh = mode == WalkMode.REFRESH;
    Set<Digest> seenTrees = new HashSet<>();
    Set<Digest> seenChunks = new HashSet<>();
    List<String> missing = new ArrayList<>();
    long[] files = new long[1];
    long[] bytes = new long[1];
    List<Digest> queue = new ArrayList<>(List.of(root));
    for (int i = 0; i < queue.size(); i++) {
      Digest d = queue.get(i);
      if (!seenTrees.add(d)) {
        continue;
      }
      if (refresh ? !trees.touch(d) : !trees.contains(d)) {
        missing.add("tree " + d.hex());
        continue;
      }
      for (Entry e : tree(d).entries()) {
        switch (e) {
          case Entry.Dir sub -> queue.add(sub.tree());
          case Entry.File f -> {
            files[0]++;
            bytes[0] += f.size();
            for (Entry.ChunkRef c : f.chunks()) {
              if (seenChunks.add(c.digest()) && mode != WalkMode.LIST
                  && (refresh ? !chunks.touch(c.digest()) : !chunks.contains(c.digest()))) {
                missing.add("chunk " + c.digest().hex());
              }
            }
          }
          case Entry.Hardlink h -> files[0]++;
          case Entry.Symlink s -> { }
        }
      }
    }
    if (!missing.isEmpty()) {
      throw new StoreException(StoreException.Reason.INCOMPLETE, "manifest " + root.hex() + " lacks " + missing.size()
          + " piece(s): " + String.join(", ", missing.subList(0, Math.min(missing.size(), MAX_MISSING_LISTED)))
          + (missing.size() > MAX_MISSING_LISTED ? ", …" : ""));
    }
    logicalBytes.put(root, bytes[0]);
    return new Walk(seenTrees.size(), files[0], bytes[0], seenTrees, seenChunks);
  }

  // ---- tags

  /**
   * For an import, under its lease: every object of the manifest was written or refreshed after the
   * lease was taken, so none can have been collected, and the walk of {@link #setTag} is skipped.
   */
  public String setTagOfImport(String tag, Digest manifest, long logicalBytes) {
    String name = TagName.parse(tag);
    logicalBytes(manifest, logicalBytes);
    tags.set(name, manifest);
    return name;
  }

  private void logicalBytes(Digest manifest, long bytes) {
    logicalBytes.put(manifest, bytes);
  }

  /** Points {@code tag} at a manifest that is whole in the store (INCOMPLETE otherwise); returns the tag's canonical form. */
  public String setTag(String tag, Digest manifest) {
    String name = TagName.parse(tag);
    walk(manifest, WalkMode.REFRESH);
    tags.set(name, manifest);
    return name;
  }

  public Digest resolveTag(String tag) {
    String name = TagName.parse(tag);
    return tags.resolve(name).orElseThrow(() -> StoreException.notFound("no image " + name));
  }

  public Map<String, Digest> listTags() {
    return tags.list();
  }

  /** NOT_FOUND when there was no such tag. The manifest stays until a collection finds it unreachable. */
  public void deleteTag(String tag) {
    String name = TagName.parse(tag);
    if (!tags.delete(name)) {
      throw StoreException.notFound("no image " + name);
    }
  }

  /** Logical bytes of a manifest (regular files, each hardlinked file once); walks it the first time. */
  public long logicalBytes(Digest manifest) {
    Long known = logicalBytes.get(manifest);
    return known != null ? known : walk(manifest, WalkMode.LIST).logicalBytes();
  }

  // ---- leases, statistics, collection

  /** Held by an import while it runs: nothing written after it was taken is collected until it is closed. */
  public AutoCloseable lease() {
    long id = leaseIds.incrementAndGet();
    leases.put(id, clock.instant());
    return () -> leases.remove(id);
  }

  public StoreStats stats() {
    return StoreStats.measure(this, chunks, trees, tags);
  }

  /** One collection at a time; a second caller waits for the first to finish and then runs its own. */
  public GcReport collectGarbage() {
    gcLock.lock();
    try {
      return GarbageCollector.run(this, chunks, trees, tags, cutoff(), metrics);
    } finally {
      gcLock.unlock();
    }
  }

  private Instant cutoff() {
    Instant cutoff = clock.instant().minus(options.gcGrace());
    for (Instant leased : leases.values()) {
      if (leased.isBefore(cutoff)) {
        cutoff = leased;
      }
    }
    return cutoff.minus(CLOCK_SLACK);
  }

  @Override
  public void close() {
    dir.close();
  }
}
