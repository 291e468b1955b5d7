package dev.phantom.zygote.snapshot;

import dev.phantom.store.core.ChunkingParams;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.Entry;
import dev.phantom.store.core.FastCdc;
import dev.phantom.store.core.Meta;
import dev.phantom.store.core.TreeBuilder;
import dev.phantom.support.PhantomException;
import io.vertx.core.Future;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;

/**
 * Stores a directory (a session's workspace, seen from the host) in the fragment store as a manifest, sending
 * only the chunks the store lacks: files are cut with FastCDC and hashed here, their digests asked about in
 * batches ({@code HasChunks}), the missing chunks uploaded, then the trees, then the tag that keeps them.
 *
 * <p>Links are never followed: a symlink is stored as a link. A relative symlink that climbs out of the
 * directory, device nodes, FIFOs and sockets are skipped and listed. Blocking: run it on a worker thread, on a
 * directory nothing writes to (the caller freezes the sandbox). One use per instance.
 */
public final class WorkspaceSnapshotter {

  /** Chunks gathered before the store is asked about them: a few MiB per request, bounded memory. */
  static final int BATCH_BYTES = 4 << 20;
  /**
   * Batches asked about and uploaded at once: the store writes each chunk durably (an fsync each) on its
   * worker pool, so several batches in flight keep its disk busy while this thread cuts and hashes.
   */
  static final int IN_FLIGHT = 4;
  /** Skipped entries listed in the result; beyond this only the count grows. */
  static final int MAX_SKIPPED_LISTED = 32;

  private static final int S_IFMT = 0170000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFLNK = 0120000;

  private final SnapshotStore store;
  private final FastCdc cdc;
  private final byte[] buffer;
  private final TreeBuilder builder = new TreeBuilder();
  private final Set<Digest> seen = new HashSet<>();
  private final List<SnapshotStore.Chunk> pending = new ArrayList<>();
  private final List<String> skipped = new ArrayList<>();
  private final java.util.ArrayDeque<Future<Void>> inFlight = new java.util.ArrayDeque<>();
  private final java.util.concurrent.atomic.AtomicLong newChunks = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong uploadedBytes = new java.util.concurrent.atomic.AtomicLong();
  private long pendingBytes;
  private long chunks;
  private int skippedCount;

  public WorkspaceSnapshotter(SnapshotStore store, ChunkingParams chunking) {
    this.store = store;
    this.cdc = new FastCdc(chunking);
    this.buffer = new byte[2 * chunking.max()];
  }

  /** Stores {@code dir} and tags the manifest with {@code tagOf(manifest hex)}. */
  public SnapshotResult snapshot(Path dir, java.util.function.Function<String, String> tagOf) throws IOException {
    long start = System.nanoTime();
    walk(dir);
    flush();
    while (!inFlight.isEmpty()) {
      await(inFlight.removeFirst());
    }
    List<byte[]> trees = new ArrayList<>();
    Digest root = builder.build((digest, encoded) -> trees.add(encoded));
    await(store.putManifest(root, trees));
    await(store.setTag(tagOf.apply(root.hex()), root));
    List<String> listed = new ArrayList<>(skipped);
    if (skippedCount > listed.size()) {
      listed.add("... and " + (skippedCount - listed.size()) + " more");
    }
    return new SnapshotResult(root, builder.files(), builder.bytes(), uploadedBytes.get(), newChunks.get(),
        chunks - newChunks.get(),
        (System.nanoTime() - start) / 1_000_000, listed);
  }

  private void walk(Path root) throws IOException {
    Map<String, List<String>> inodes = new HashMap<>();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
        return visit(d) ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        visit(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) {
        skip(root.relativize(file).toString(), "cannot be read: " + e.getMessage());
        return FileVisitResult.CONTINUE;
      }

      /** Adds one entry; false when it was skipped. */
      private boolean visit(Path p) throws IOException {
        List<String> path = new ArrayList<>();
        root.relativize(p).forEach(part -> {
          if (!part.toString().isEmpty()) {
            path.add(part.toString());
          }
        });
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,ino,dev,nlink,lastModifiedTime",
            LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        Meta meta = Meta.of(mode & Meta.MODE_BITS, (Integer) a.get("uid"), (Integer) a.get("gid"),
            ((FileTime) a.get("lastModifiedTime")).toInstant().getEpochSecond());
        String name = String.join("/", path);
        try {
          switch (mode & S_IFMT) {
            case S_IFDIR -> builder.putDir(path, meta);
            case S_IFLNK -> builder.putSymlink(path, meta, Files.readSymbolicLink(p).toString());
            case S_IFREG -> {
              String inode = a.get("dev") + ":" + a.get("ino");
              boolean linked = (Integer) a.get("nlink") > 1;
              if (linked && inodes.containsKey(inode)) {
                builder.putHardlink(path, inodes.get(inode));
                return true;
              }
              List<Entry.ChunkRef> refs = file(p);
              builder.putFile(path, meta, refs.stream().mapToLong(Entry.ChunkRef::length).sum(), refs);
              if (linked) {
                inodes.put(inode, List.copyOf(path));
              }
            }
            default -> {
              skip(name, "is a device node, FIFO or socket");
              return false;
            }
          }
        } catch (IllegalArgumentException e) {
          skip(name, e.getMessage());
          return false;
        }
        return true;
      }
    });
  }

  private void skip(String path, String why) {
    skippedCount++;
    if (skipped.size() < MAX_SKIPPED_LISTED) {
      skipped.add(path + ": " + why);
    }
  }

  /** Cuts one file into chunks, queueing those not seen yet in this snapshot. */
  private List<Entry.ChunkRef> file(Path p) throws IOException {
    List<Entry.ChunkRef> refs = new ArrayList<>();
    try (InputStream in = Channels.newInputStream(Files.newByteChannel(p, Set.of(StandardOpenOption.READ,
        LinkOption.NOFOLLOW_LINKS)))) {
      int start = 0;
      int end = 0;
      boolean eof = false;
      while (true) {
        if (!eof && end - start < cdc.params().max()) {
          System.arraycopy(buffer, start, buffer, 0, end - start);
          end -= start;
          start = 0;
          int n;
          while (end < buffer.length && (n = in.read(buffer, end, buffer.length - end)) >= 0) {
            end += n;
          }
          eof = end < buffer.length;
        }
        if (start == end) {
          return refs;
        }
        int n = cdc.cut(buffer, start, end - start);
        refs.add(chunk(start, n));
        start += n;
      }
    }
  }

  private Entry.ChunkRef chunk(int off, int len) {
    Digest digest = Digest.of(buffer, off, len);
    chunks++;
    if (seen.add(digest)) {
      pending.add(new SnapshotStore.Chunk(digest, Arrays.copyOfRange(buffer, off, off + len)));
      pendingBytes += len;
      if (pendingBytes >= BATCH_BYTES) {
        flush();
      }
    }
    return new Entry.ChunkRef(digest, len);
  }

  /** Asks the store which pending chunks it has and uploads the others, with at most {@link #IN_FLIGHT} batches out. */
  private void flush() {
    if (pending.isEmpty()) {
      return;
    }
    List<SnapshotStore.Chunk> batch = List.copyOf(pending);
    pending.clear();
    pendingBytes = 0;
    if (inFlight.size() >= IN_FLIGHT) {
      await(inFlight.removeFirst());
    }
    inFlight.addLast(store.has(batch.stream().map(SnapshotStore.Chunk::digest).toList()).compose(present -> {
      List<SnapshotStore.Chunk> missing = new ArrayList<>();
      for (int i = 0; i < batch.size(); i++) {
        if (!present.get(i)) {
          missing.add(batch.get(i));
        }
      }
      if (missing.isEmpty()) {
        return Future.succeededFuture();
      }
      return store.put(missing).map(written -> {
        newChunks.addAndGet(missing.size());
        missing.forEach(c -> uploadedBytes.addAndGet(c.data().length));
        return null;
      });
    }));
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : PhantomException.internal(String.valueOf(e.getCause()));
    }
  }
}
