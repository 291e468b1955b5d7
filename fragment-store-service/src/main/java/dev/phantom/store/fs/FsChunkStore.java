package dev.phantom.store.fs;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import dev.phantom.store.core.ChunkStore;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Objects as zstd frames in {@code DIR/xx/<64 hex digits>}, {@code xx} being the digest's first byte.
 * A put writes a temporary file ({@code TMP/xx/}), fsyncs it and renames it into place, so an object is either whole or
 * absent; the directory entries are fsynced in batches by {@link #sync}. Every read decompresses and
 * hashes: an object that fails is moved to the quarantine directory, reported, and never served.
 *
 * <p>A striped lock orders the existence check of a put or touch against the GC's check-and-delete of
 * the same digest; compression and fsync happen outside it.
 */
public final class FsChunkStore implements ChunkStore {

  private static final Logger LOG = Logger.getLogger(FsChunkStore.class.getName());
  private static final HexFormat HEX = HexFormat.of();
  private static final int STRIPES = 256;

  private final String kind;
  private final Path dir;
  private final Path tmp;
  private final Path quarantine;
  private final int level;
  private final int maxObjectBytes;
  private final boolean fsync;
  private final InstantSource clock;
  private final ReentrantLock[] locks = new ReentrantLock[STRIPES];
  private final Set<Path> unsynced = ConcurrentHashMap.newKeySet();
  private final AtomicLong tempIds = new AtomicLong(System.nanoTime());
  private final CorruptionListener corruption;

  /** Told about every corrupt object found (for metrics and logs). */
  public interface CorruptionListener {
    void corrupt(String kind, Digest digest, String why);
  }

  /**
   * @param kind "chunk" or "tree", for messages
   * @param level zstd level
   * @param fsync false only for benchmarks and tests that measure something else
   */
  public FsChunkStore(String kind, Path dir, Path tmp, Path quarantine, int level, int maxObjectBytes, boolean fsync,
      InstantSource clock, CorruptionListener corruption) {
    this.kind = kind;
    this.dir = dir;
    this.tmp = tmp;
    this.quarantine = quarantine;
    this.level = level;
    this.maxObjectBytes = maxObjectBytes;
    this.fsync = fsync;
    this.clock = clock;
    this.corruption = corruption;
    for (int i = 0; i < STRIPES; i++) {
      locks[i] = new ReentrantLock();
    }
    try {
      for (int i = 0; i < 256; i++) {
        Files.createDirectories(dir.resolve(HEX.toHexDigits((byte) i)));
        Files.createDirectories(tmp.resolve(HEX.toHexDigits((byte) i)));
      }
      Files.createDirectories(tmp);
      Files.createDirectories(quarantine);
    } catch (IOException e) {
      throw io("create " + dir, e);
    }
  }

  @Override
  public Put put(Digest digest, byte[] data, int off, int len) {
    if (len > maxObjectBytes) {
      throw StoreException.invalid(kind + " of " + len + " bytes; at most " + maxObjectBytes);
    }
    String hex = digest.hex();
    Path target = dir.resolve(hex.substring(0, 2)).resolve(hex);
    // exists() first: a touch of a missing file costs an exception, and most puts of an import are new.
    if (Files.exists(target) && touch(digest)) {
      return new Put(digest, false, 0);
    }
    ByteBuffer frame = ZstdFrames.compressToScratch(data, off, len, level);
    int stored = frame.remaining();
    // Fanned out like the objects: one temp directory for all writers made file creation the import's
    // bottleneck (every create and rename takes the directory's lock). Named by a counter, not a random
    // UUID: only this process writes here (the store is locked) and tmp/ is emptied at start.
    Path temp = tmp.resolve(hex.substring(0, 2)).resolve(hex + "." + tempIds.incrementAndGet() + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        while (frame.hasRemaining()) {
          ch.write(frame);
        }
        if (fsync) {
          ch.force(false);
        }
      }
      ReentrantLock lock = lockOf(digest);
      lock.lock();
      try {
        // Another put of the same bytes may have won meanwhile: replacing it with equal bytes is harmless.
        move(temp, target);
        unsynced.add(target.getParent());
      } finally {
        lock.unlock();
      }
      return new Put(digest, true, stored);
    } catch (IOException e) {
      deleteQuietly(temp);
      throw io("write " + kind + " " + digest.shortHex(), e);
    }
  }

  @Override
  public boolean touch(Digest digest) {
    Path path = pathOf(digest);
    ReentrantLock lock = lockOf(digest);
    lock.lock();
    try {
      Files.setLastModifiedTime(path, FileTime.from(clock.instant()));
      return true;
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw io("touch " + kind + " " + digest.shortHex(), e);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean contains(Digest digest) {
    return Files.exists(pathOf(digest));
  }

  @Override
  public byte[] get(Digest digest) {
    Path path = pathOf(digest);
    byte[] compressed;
    try {
      compressed = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw StoreException.notFound("no " + kind + " " + digest.hex());
    } catch (IOException e) {
      throw io("read " + kind + " " + digest.shortHex(), e);
    }
    byte[] raw;
    try {
      long size = Zstd.getFrameContentSize(compressed);
      if (size < 0 || size > maxObjectBytes) {
        throw corrupt(digest, path, "bad zstd frame header");
      }
      raw = ZstdFrames.decompress(compressed, (int) size);
    } catch (ZstdException | IllegalArgumentException e) {
      throw corrupt(digest, path, "does not decompress: " + e.getMessage());
    }
    if (!Digest.of(raw).equals(digest)) {
      throw corrupt(digest, path, "its bytes hash to " + Digest.of(raw).shortHex());
    }
    return raw;
  }

  @Override
  public long rawSize(Digest digest) {
    byte[] header = new byte[18]; // the longest zstd frame header
    try (InputStream in = Files.newInputStream(pathOf(digest))) {
      int n = in.readNBytes(header, 0, header.length);
      long size = Zstd.getFrameContentSize(header, 0, n);
      return Math.max(size, 0);
    } catch (NoSuchFileException e) {
      return -1;
    } catch (IOException | ZstdException e) {
      return 0;
    }
  }

  @Override
  public void forEach(Consumer<Stored> action) {
    for (int i = 0; i < 256; i++) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir.resolve(HEX.toHexDigits((byte) i)))) {
        for (Path file : files) {
          Digest digest;
          try {
            digest = Digest.parse(file.getFileName().toString());
          } catch (IllegalArgumentException notAnObject) {
            continue;
          }
          BasicFileAttributes attrs;
          try {
            attrs = Files.readAttributes(file, BasicFileAttributes.class);
          } catch (NoSuchFileException gone) {
            continue;
          }
          action.accept(new Stored(digest, attrs.size(), attrs.lastModifiedTime().toInstant()));
        }
      } catch (IOException e) {
        throw io("list " + dir, e);
      }
    }
  }

  @Override
  public boolean deleteIfOlder(Digest digest, Instant cutoff) {
    Path path = pathOf(digest);
    ReentrantLock lock = lockOf(digest);
    lock.lock();
    try {
      if (!Files.getLastModifiedTime(path).toInstant().isBefore(cutoff)) {
        return false;
      }
      Files.delete(path);
      unsynced.add(path.getParent());
      return true;
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw io("delete " + kind + " " + digest.shortHex(), e);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void sync() {
    if (!fsync) {
      unsynced.clear();
      return;
    }
    for (Path d : Set.copyOf(unsynced)) {
      unsynced.remove(d);
      FsSync.directory(d);
    }
  }

  Path pathOf(Digest digest) {
    String hex = digest.hex();
    return dir.resolve(hex.substring(0, 2)).resolve(hex);
  }

  private StoreException corrupt(Digest digest, Path path, String why) {
    String moved = "";
    ReentrantLock lock = lockOf(digest);
    lock.lock();
    try {
      Path aside = quarantine.resolve(digest.hex() + "." + clock.instant().toEpochMilli());
      Files.move(path, aside);
      moved = "; moved to " + aside;
    } catch (IOException e) {
      moved = "; could not move it aside: " + e.getMessage();
    } finally {
      lock.unlock();
    }
    LOG.severe(kind + " " + digest.hex() + " is corrupt on disk (" + why + ")" + moved);
    corruption.corrupt(kind, digest, why);
    return new StoreException(StoreException.Reason.CORRUPT, kind + " " + digest.hex() + " is corrupt on disk (" + why
        + "); it was not served and is set aside, so putting it again heals the store");
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the store's tmp and object directories must be on one file system", e);
    }
  }

  private ReentrantLock lockOf(Digest digest) {
    return locks[Math.floorMod(digest.hashCode(), STRIPES)];
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // a leftover temp file is removed at the next start
    }
  }

  static StoreException io(String what, IOException e) {
    return FsSync.io(what, e);
  }
}
