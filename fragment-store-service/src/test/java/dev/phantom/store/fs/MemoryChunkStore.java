package dev.phantom.store.fs;

import dev.phantom.store.core.ChunkStore;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.StoreException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/** A fake {@link ChunkStore} in memory, held to the same contract as the real one. */
public final class MemoryChunkStore implements ChunkStore {

  private record Item(byte[] data, Instant modified) {}

  private final Map<Digest, Item> items = new ConcurrentHashMap<>();
  private final InstantSource clock;

  public MemoryChunkStore(InstantSource clock) {
    this.clock = clock;
  }

  @Override
  public Put put(Digest digest, byte[] data, int off, int len) {
    boolean[] written = {false};
    items.compute(digest, (d, old) -> {
      written[0] = old == null;
      // New objects get the real time, as the kernel stamps new files; refreshes use the store's clock.
      return old == null ? new Item(Arrays.copyOfRange(data, off, off + len), Instant.now()) : new Item(old.data(), clock.instant());
    });
    return new Put(digest, written[0], written[0] ? len : 0);
  }

  @Override
  public boolean touch(Digest digest) {
    return items.computeIfPresent(digest, (d, old) -> new Item(old.data(), clock.instant())) != null;
  }

  @Override
  public boolean contains(Digest digest) {
    return items.containsKey(digest);
  }

  @Override
  public byte[] get(Digest digest) {
    Item item = items.get(digest);
    if (item == null) {
      throw StoreException.notFound("no chunk " + digest.hex());
    }
    return item.data().clone();
  }

  @Override
  public long rawSize(Digest digest) {
    Item item = items.get(digest);
    return item == null ? -1 : item.data().length;
  }

  @Override
  public void forEach(Consumer<Stored> action) {
    items.forEach((d, item) -> action.accept(new Stored(d, item.data().length, item.modified())));
  }

  @Override
  public boolean deleteIfOlder(Digest digest, Instant cutoff) {
    boolean[] deleted = {false};
    items.computeIfPresent(digest, (d, item) -> {
      deleted[0] = item.modified().isBefore(cutoff);
      return deleted[0] ? null : item;
    });
    return deleted[0];
  }

  @Override
  public void sync() {
    // nothing to make durable
  }
}
