package dev.phantom.store;

import dev.phantom.store.core.ChunkStore;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.StoreException;
import dev.phantom.store.fs.MemoryTagStore;
import dev.phantom.store.fs.StoreDir;
import dev.phantom.store.fs.ZstdFrames;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * For StoreBenchmark: a store whose chunk and tree puts compress (as the real one does) and keep only the
 * digest, so that an import through the real {@code Importer} measures reading, chunking, hashing and
 * compressing without the cost of a file per chunk.
 */
public final class CompressOnlyStore implements ChunkStore {

  private final Set<Digest> stored = ConcurrentHashMap.newKeySet();
  private final int level;

  private CompressOnlyStore(int level) {
    this.level = level;
  }

  public static FragmentStore open(Path root, StoreOptions options) {
    return new FragmentStore(StoreDir.open(root), options, new CompressOnlyStore(options.zstdLevel()),
        new CompressOnlyStore(options.zstdLevel()), new MemoryTagStore(), InstantSource.system(), StoreMetrics.none());
  }

  @Override
  public Put put(Digest digest, byte[] data, int off, int len) {
    int n = ZstdFrames.compressToScratch(data, off, len, level).remaining();
    return stored.add(digest) ? new Put(digest, true, n) : new Put(digest, false, 0);
  }

  @Override
  public boolean touch(Digest digest) {
    return stored.contains(digest);
  }

  @Override
  public boolean contains(Digest digest) {
    return stored.contains(digest);
  }

  @Override
  public byte[] get(Digest digest) {
    throw StoreException.notFound("a compress-only store keeps no bytes");
  }

  @Override
  public long rawSize(Digest digest) {
    return stored.contains(digest) ? 0 : -1;
  }

  @Override
  public void forEach(Consumer<Stored> action) {
    // nothing kept
  }

  @Override
  public boolean deleteIfOlder(Digest digest, Instant cutoff) {
    return false;
  }

  @Override
  public void sync() {
    // nothing written
  }
}
