package dev.phantom.store.ingest;

import dev.phantom.store.FragmentStore;
import dev.phantom.store.core.ChunkStore;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.Entry;
import dev.phantom.store.core.FastCdc;
import dev.phantom.store.core.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The chunking pipeline of one import. The calling thread reads, cuts (FastCDC) and hashes, and skips
 * chunks it has already seen in this import; the worker pool compresses and writes the rest, at most
 * {@link #IN_FLIGHT} at a time so memory stays bounded. Hashing on the reading thread lets a file's
 * chunk list be known at once, so the reader never waits for a write. Not thread-safe: one reader.
 */
final class Ingest {

  /** Chunks handed to workers and not yet written; bounds memory to this many times the max size. */
  static final int IN_FLIGHT = 64;

  private final FragmentStore store;
  private final ExecutorService workers;
  private final FastCdc cdc;
  private final byte[] buffer;
  private final Set<Digest> seen = new HashSet<>();
  private final Semaphore permits = new Semaphore(IN_FLIGHT);
  /** Chunk buffers of the max size, reused: a fresh copy per chunk cost more in allocation and GC than the copy. */
  private final Queue<byte[]> free = new ConcurrentLinkedQueue<>();
  private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
  private final AtomicLong written = new AtomicLong();
  private final AtomicLong storedBytes = new AtomicLong();
  private long chunks;

  Ingest(FragmentStore store, ExecutorService workers) {
    this.store = store;
    this.workers = workers;
    this.cdc = new FastCdc(store.options().chunking());
    this.buffer = new byte[2 * store.options().chunking().max()];
  }

  /** Chunks {@code in} to its end; returns the chunks in order (their lengths add up to what was read). */
  List<Entry.ChunkRef> file(InputStream in) throws IOException {
    List<Entry.ChunkRef> refs = new ArrayList<>();
    int max = store.options().chunking().max();
    int start = 0;
    int end = 0;
    boolean eof = false;
    while (true) {
      if (!eof && end - start < max) {
        System.arraycopy(buffer, start, buffer, 0, end - start);
        end -= start;
        start = 0;
        while (end < buffer.length) {
          int n = in.read(buffer, end, buffer.length - end);
          if (n < 0) {
            eof = true;
            break;
          }
          end += n;
        }
      }
      if (start == end) {
        return refs;
      }
      int n = cdc.cut(buffer, start, end - start);
      refs.add(chunk(start, n));
      start += n;
    }
  }

  private Entry.ChunkRef chunk(int off, int len) {
    rethrow();
    Digest digest = Digest.of(buffer, off, len);
    chunks++;
    if (seen.add(digest)) {
      permits.acquireUninterruptibly();
      byte[] copy = free.poll();
      if (copy == null) {
        copy = new byte[buffer.length / 2];
      }
      System.arraycopy(buffer, off, copy, 0, len);
      byte[] data = copy;
      try {
        workers.execute(() -> {
          try {
            ChunkStore.Put put = store.putHashedChunk(digest, data, len);
            if (put.written()) {
              written.incrementAndGet();
              storedBytes.addAndGet(put.storedBytes());
            }
          } catch (RuntimeException e) {
            failure.compareAndSet(null, e);
          } finally {
            free.add(data);
            permits.release();
          }
        });
      } catch (RuntimeException e) {
        free.add(data);
        permits.release();
        throw e;
      }
    }
    return new Entry.ChunkRef(digest, len);
  }

  /** Waits for every chunk to be written, then makes them durable. */
  void finish() {
    permits.acquireUninterruptibly(IN_FLIGHT);
    permits.release(IN_FLIGHT);
    rethrow();
    store.syncChunks();
  }

  /** Chunks cut, distinct chunks, chunks newly written, compressed bytes newly written. */
  long chunks() {
    return chunks;
  }

  long distinct() {
    return seen.size();
  }

  long written() {
    return written.get();
  }

  long storedBytes() {
    return storedBytes.get();
  }

  private void rethrow() {
    RuntimeException e = failure.get();
    if (e != null) {
      throw e instanceof StoreException ? e : new StoreException(StoreException.Reason.IO, e.toString(), e);
    }
  }
}
