package dev.phantom.store.fs;

import dev.phantom.store.core.StoreException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** fsync of directories, and the one mapping from I/O failures to store failures. */
public final class FsSync {

  private FsSync() {}

  /** Makes the directory's entries (a rename, a delete) durable. */
  public static void directory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      throw io("fsync " + dir, e);
    }
  }

  /** ENOSPC and EDQUOT become DISK_FULL; the rest IO, with the step and the path. */
  public static StoreException io(String what, IOException e) {
    String message = e instanceof FileSystemException fs && fs.getReason() != null ? fs.getReason() : e.getMessage();
    if (message != null && (message.contains("No space left") || message.contains("Disk quota exceeded"))) {
      return new StoreException(StoreException.Reason.DISK_FULL, "the store's disk is full: could not " + what, e);
    }
    return new StoreException(StoreException.Reason.IO, "could not " + what + ": " + message, e);
  }
}
