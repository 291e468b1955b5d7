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
 * chunks it has already seen in this import; it copies the rest into a batch of about
 * {@link #BATCH_BYTES}, and the worker pool compresses and writes whole batches, at most
 * {@link #BATCHES_IN_FLIGHT} at a time so memory stays bounded. Hashing on the reading thread lets a
 * file's chunk list be known at once, so the reader never waits for a write; handing over batches rather
 * than chunks (mean 10 KiB on a root filesystem) wakes a worker once per ~1 MiB instead of once per chunk.
 * Batch buffers are reused: an import allocates nothing per chunk. Not thread-safe: one reader.
 */
final class Ingest {

  /** A batch is handed to a worker once it holds this many bytes (or at the end). */
  static final int BATCH_BYTES = 1 << 20;
  /** Batches handed to workers and not yet written: memory stays under this many times (batch + max chunk). */
  static final int BATCHES_IN_FLIGHT = 8;

  private final FragmentStore store;
  private final ExecutorService workers;
  private final FastCdc cdc;
  private final byte[] buffer;
  private final Set<Digest> seen = new HashSet<>();
  private final Semaphore permits = new Semaphore(BATCHES_IN_FLIGHT);
  private final Queue<Batch> free = new ConcurrentLinkedQueue<>();
  private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
  private final AtomicLong written = new AtomicLong();
  private final AtomicLong storedBytes = new AtomicLong();
  private Batch open;
  private long chunks;

  /** New chunks copied end to end, with their digests; refilled once written. */
  private static final class Batch {
    final byte[] data;
    final List<Digest> digests = new ArrayList<>();
    int[] offsets = new int[64];
    int used;

    Batch(int capacity) {
      this.data = new byte[capacity];
    }

    void add(Digest digest, byte[] from, int off, int len) {
      if (digests.size() == offsets.length - 1) {
        offsets = java.util.Arrays.copyOf(offsets, offsets.length * 2);
      }
      System.arraycopy(from, off, data, used, len);
      offsets[digests.size()] = used;
      digests.add(digest);
      used += len;
      offsets[digests.size()] = used;
    }

    void clear() {
      digests.clear();
      used = 0;
    }
  }

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
      if (open == null) {
        permits.acquireUninterruptibly();
        Batch reused = free.poll();
        // Room for a full batch plus one chunk of the max size: a chunk never has to wait for a new batch.
        open = reused != null ? reused : new Batch(BATCH_BYTES + buffer.length / 2);
      }
      open.add(digest, buffer, off, len);
      if (open.used >= BATCH_BYTES) {
        submit();
      }
    }
    return new Entry.ChunkRef(digest, len);
  }

  private void submit() {
    Batch batch = open;
    open = null;
    try {
      workers.execute(() -> {
        try {
          for (int i = 0; i < batch.digests.size(); i++) {
            int off = batch.offsets[i];
            ChunkStore.Put put = store.putHashedChunk(batch.digests.get(i), batch.data, off, batch.offsets[i + 1] - off);
            if (put.written()) {
              written.incrementAndGet();
              storedBytes.addAndGet(put.storedBytes());
            }
          }
        } catch (RuntimeException e) {
          failure.compareAndSet(null, e);
        } finally {
          batch.clear();
          free.add(batch);
          permits.release();
        }
      });
    } catch (RuntimeException e) {
      batch.clear();
      free.add(batch);
      permits.release();
      throw e;
    }
  }

  /** Hands over the last batch, waits for every chunk to be written, then makes them durable. */
  void finish() {
    if (open != null) {
      submit();
    }
    permits.acquireUninterruptibly(BATCHES_IN_FLIGHT);
    permits.release(BATCHES_IN_FLIGHT);
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
