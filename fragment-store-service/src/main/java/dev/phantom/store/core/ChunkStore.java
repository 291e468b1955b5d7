package dev.phantom.store.core;

import java.time.Instant;
import java.util.function.Consumer;

/**
 * Content-addressed objects (file chunks; the store keeps tree nodes in a second one). Blocking: call
 * from worker threads. Implementations are thread-safe; {@code fs.FsChunkStore} is the real one.
 *
 * <p>The garbage collector relies on one promise: {@link #put} and {@link #touch} of an object that
 * exists refresh its time, and {@link #deleteIfOlder} never removes an object refreshed after the
 * cutoff, even when they race.
 */
public interface ChunkStore {

  /** What a put did. */
  record Put(Digest digest, boolean written, long storedBytes) {}

  /** One stored object, for sweeping and statistics. */
  record Stored(Digest digest, long storedBytes, Instant modified) {}

  /**
   * Stores {@code data[off, off+len)} under its digest unless it is already there (then only its time
   * is refreshed). Durable once {@link #sync} returned.
   *
   * @throws StoreException DISK_FULL, IO, or INVALID when larger than the store accepts
   */
  default Put put(byte[] data, int off, int len) {
    return put(Digest.of(data, off, len), data, off, len);
  }

  /**
   * As {@link #put(byte[], int, int)} for a caller that hashed the bytes already (the ingest pipeline
   * hashes on its reading thread to skip duplicates early). {@code digest} must be theirs: a wrong one
   * is caught by the next read, which then refuses the object as corrupt.
   */
  Put put(Digest digest, byte[] data, int off, int len);

  /** Whether the object is there, refreshing its time when it is (a "yes" holds for the GC grace period). */
  boolean touch(Digest digest);

  /** Whether the object is there, without refreshing it. */
  boolean contains(Digest digest);

  /**
   * The object's bytes, checked against its digest.
   *
   * @throws StoreException NOT_FOUND, or CORRUPT (the object is then set aside so that a later put heals it)
   */
  byte[] get(Digest digest);

  /** The uncompressed size of a stored object, or -1 when absent; read from its header, not verified. */
  long rawSize(Digest digest);

  /** Every stored object. Objects put or deleted meanwhile may or may not be seen. */
  void forEach(Consumer<Stored> action);

  /** Deletes the object if it was last written or refreshed before {@code cutoff}; true when deleted. */
  boolean deleteIfOlder(Digest digest, Instant cutoff);

  /** Makes every put that returned so far durable (directory entries included). */
  void sync();
}
