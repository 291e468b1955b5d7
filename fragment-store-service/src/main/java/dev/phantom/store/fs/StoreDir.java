package dev.phantom.store.fs;

import dev.phantom.store.core.StoreException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The layout of a store's data directory, owned by one process at a time through a lock on
 * {@code store.lock} (the garbage collector's safety rests on knowing every writer, so a second
 * process is refused rather than trusted). Opening removes temporary files a crash left behind.
 *
 * <pre>
 * store.lock
 * chunks/xx/&lt;digest&gt;   file chunks, zstd
 * trees/xx/&lt;digest&gt;    directory nodes of manifests, zstd
 * tags/&lt;name:version&gt;  a manifest digest in hex
 * tmp/, tmp/xx/         files being written
 * quarantine/          objects that failed verification
 * </pre>
 */
public final class StoreDir implements AutoCloseable {

  private final Path root;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private StoreDir(Path root, FileChannel lockChannel, FileLock lock) {
    this.root = root;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /** @throws StoreException LOCKED when another process holds the directory, IO when it cannot be made */
  public static StoreDir open(Path root) {
    FileChannel channel = null;
    try {
      Files.createDirectories(root);
      channel = FileChannel.open(root.resolve("store.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        channel.close();
        throw new StoreException(StoreException.Reason.LOCKED, "the store at " + root
            + " is in use by another process (a running 'phantom up' or node with the store role?);"
            + " stop it or send the command to it with --gateway");
      }
      StoreDir dir = new StoreDir(root, channel, lock);
      Files.createDirectories(dir.tmp());
      try (var leftovers = Files.walk(dir.tmp())) {
        for (Path p : leftovers.filter(Files::isRegularFile).toList()) {
          Files.deleteIfExists(p);
        }
      }
      return dir;
    } catch (IOException e) {
      if (channel != null) {
        try {
          channel.close();
        } catch (IOException ignored) {
          // already failing
        }
      }
      throw FsSync.io("open the store at " + root, e);
    }
  }

  public Path root() {
    return root;
  }

  public Path chunks() {
    return root.resolve("chunks");
  }

  public Path trees() {
    return root.resolve("trees");
  }

  public Path tags() {
    return root.resolve("tags");
  }

  public Path tmp() {
    return root.resolve("tmp");
  }

  public Path quarantine() {
    return root.resolve("quarantine");
  }

  @Override
  public void close() {
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException ignored) {
      // the process is letting go of the directory either way
    }
  }
}
