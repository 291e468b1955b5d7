package dev.phantom.store.bus;

import dev.phantom.store.core.StoreException;
import dev.phantom.store.fs.FsSync;
import dev.phantom.support.PhantomException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tar archives being uploaded for import, spooled to the store's tmp directory (emptied at every
 * start). Steps of one upload come one at a time: the gateway waits for each reply.
 */
final class Uploads {

  record Upload(String name, Path spool, OutputStream out, long[] bytes, long[] lastSeenMs) {}

  private final Map<String, Upload> uploads = new ConcurrentHashMap<>();
  private final long maxBytes;

  Uploads(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  void begin(String id, String name, Path tmpDir, long nowMs) {
    if (id.isEmpty() || uploads.containsKey(id)) {
      throw StoreException.invalid("upload id '" + id + "' is empty or already in use");
    }
    Path spool = tmpDir.resolve("upload." + id.replaceAll("[^A-Za-z0-9-]", "_") + ".tar");
    try {
      Files.createDirectories(tmpDir);
      uploads.put(id, new Upload(name, spool, Files.newOutputStream(spool, java.nio.file.StandardOpenOption.CREATE_NEW),
          new long[1], new long[] {nowMs}));
    } catch (IOException e) {
      throw FsSync.io("start the upload", e);
    }
  }

  void append(String id, byte[] data, long nowMs) {
    Upload u = get(id);
    u.lastSeenMs()[0] = nowMs;
    if (u.bytes()[0] + data.length > maxBytes) {
      abort(id);
      throw PhantomException.resourceExhausted("upload larger than the store's maxUploadBytes (" + maxBytes + ")", 0);
    }
    try {
      u.out().write(data);
      u.bytes()[0] += data.length;
    } catch (IOException e) {
      abort(id);
      throw FsSync.io("write the upload", e);
    }
  }

  /** Closes the spool and hands it over; the caller deletes it. */
  Upload end(String id) {
    Upload u = uploads.remove(id);
    if (u == null) {
      throw StoreException.notFound("no upload '" + id + "' (it may have been idle too long)");
    }
    try {
      u.out().close();
    } catch (IOException e) {
      delete(u);
      throw FsSync.io("finish the upload", e);
    }
    return u;
  }

  void abort(String id) {
    Upload u = uploads.remove(id);
    if (u != null) {
      try {
        u.out().close();
      } catch (IOException ignored) {
        // deleted below either way
      }
      delete(u);
    }
  }

  /** Drops uploads idle since before {@code cutoffMs}. */
  void expire(long cutoffMs) {
    uploads.forEach((id, u) -> {
      if (u.lastSeenMs()[0] < cutoffMs) {
        abort(id);
      }
    });
  }

  void abortAll() {
    uploads.keySet().forEach(this::abort);
  }

  static void delete(Upload u) {
    try {
      Files.deleteIfExists(u.spool());
    } catch (IOException ignored) {
      // tmp is emptied at the next start
    }
  }

  private Upload get(String id) {
    Upload u = uploads.get(id);
    if (u == null) {
      throw StoreException.notFound("no upload '" + id + "' (it may have been idle too long)");
    }
    return u;
  }
}
