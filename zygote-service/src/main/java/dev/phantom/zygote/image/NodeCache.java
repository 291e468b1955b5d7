package dev.phantom.zygote.image;

import dev.phantom.store.core.Digest;
import dev.phantom.store.core.Entry;
import dev.phantom.store.core.Xattr;
import dev.phantom.support.PhantomException;
import dev.phantom.zygote.bwrap.LibC;
import dev.phantom.zygote.workspace.Workspaces;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The node's image cache on disk (docs/fragment-store.md, "Node cache"), all blocking:
 * <ul>
 *   <li>{@code chunks/xx/<hex>}: chunks as the store sent them, uncompressed, checked against their
 *       SHA-256 on every read; a corrupt one is deleted, logged and counted, and the caller fetches it
 *       again;
 *   <li>{@code files/xx/<key>}: each regular file once per {@link FileKey}; trees hard-link to it;
 *   <li>{@code trees/<name>}: materialized images, never modified once renamed into place;
 *   <li>{@code tmp/}: everything is written here first, then linked or renamed into place,
 *       so a crash never leaves a half-written object under its final name; emptied at start.
 * </ul>
 * Files and chunks are written to {@code tmp/}, then hard-linked to their names (link fails when the
 * name exists, so a concurrent writer of the same object never replaces it). Files, which sandboxes read
 * unchecked, are made durable first with one {@code syncfs} per batch (not one fsync per file); chunks are
 * not synced, as every read checks them. Trees are built by {@link TreeWriter}.
 */
final class NodeCache {

  private static final Logger LOG = Logger.getLogger(NodeCache.class.getName());

  private final Path dir;
  private final Path chunks;
  private final Path files;
  private final Path trees;
  private final Path tmp;
  private final boolean root;
  private final ImageCounters counters;
  /** Shared by every cache of this process, so that two over one directory never pick the same name. */
  private static final AtomicLong TMP_NAMES = new AtomicLong();

  private NodeCache(Path dir, boolean root, ImageCounters counters) {
    this.dir = dir;
    this.chunks = dir.resolve("chunks");
    this.files = dir.resolve("files");
    this.trees = dir.resolve("trees");
    this.tmp = dir.resolve("tmp");
    this.root = root;
    this.counters = counters;
  }

  /**
   * Creates the layout and deletes what an earlier run left in {@code tmp/}. The directory and
   * {@code trees/} are mode 0711: bubblewrap, running as the sandbox user, must traverse them to bind a tree.
   */
  static NodeCache open(Path dir, boolean root, ImageCounters counters) throws IOException {
    NodeCache cache = new NodeCache(dir.toAbsolutePath().normalize(), root, counters);
    for (Path p : List.of(cache.dir, cache.chunks, cache.files, cache.trees, cache.tmp)) {
      Files.createDirectories(p);
    }
    Files.setPosixFilePermissions(cache.dir, PosixFilePermissions.fromString("rwx--x--x"));
    Files.setPosixFilePermissions(cache.trees, PosixFilePermissions.fromString("rwx--x--x"));
    for (Path p : List.of(cache.chunks, cache.files, cache.tmp)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
    }
    int leftovers = 0;
    try (var entries = Files.list(cache.tmp)) {
      for (Path p : entries.toList()) {
        Workspaces.deleteTree(p);
        leftovers++;
      }
    }
    if (leftovers > 0) {
      LOG.warning("image cache " + dir + ": removed " + leftovers + " unfinished objects of an earlier run");
    }
    return cache;
  }

  Path dir() {
    return dir;
  }

  Path tree(String name) {
    return trees.resolve(name);
  }

  Path filesDir() {
    return files;
  }

  Path chunksDir() {
    return chunks;
  }

  /** Names of the trees in place. */
  List<String> treeNames() throws IOException {
    try (var entries = Files.list(trees)) {
      return entries.map(p -> p.getFileName().toString()).toList();
    }
  }

  /**
   * Renames a tree into {@code tmp/} (one step, so nobody sees half of it); returns where it went, or null
   * when it was not there (removed by hand).
   */
  Path detachTree(String name) throws IOException {
    Path away = newTemp();
    try {
      Files.move(tree(name), away, StandardCopyOption.ATOMIC_MOVE);
    } catch (NoSuchFileException e) {
      return null;
    }
    return away;
  }

  boolean hasTree(String name) {
    return Files.isDirectory(tree(name), LinkOption.NOFOLLOW_LINKS);
  }

  /** Where a file lives in {@code files/}, present or not. */
  Path file(FileKey key) {
    return files.resolve(key.relativePath());
  }

  boolean hasFile(FileKey key) {
    return Files.exists(files.resolve(key.relativePath()), LinkOption.NOFOLLOW_LINKS);
  }

  boolean hasChunk(Digest d) {
    return Files.exists(chunkPath(d), LinkOption.NOFOLLOW_LINKS);
  }

  /** The chunk's bytes, verified; null when absent or corrupt (a corrupt one is deleted and counted). */
  byte[] readChunk(Digest d) throws IOException {
    Path path = chunkPath(d);
    byte[] data;
    try {
      data = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      return null;
    }
    if (!Digest.of(data).equals(d)) {
      Files.deleteIfExists(path);
      counters.corruptChunks.incrementAndGet();
      LOG.warning("image cache: chunk " + d.hex() + " is corrupt (" + data.length
          + " bytes that hash otherwise); deleted, it will be fetched again");
      return null;
    }
    return data;
  }

  /**
   * Stores chunks the store sent, each checked against the digest asked for.
   *
   * @throws PhantomException DATA_LOSS when the store sent bytes that are not the chunk
   */
  void putChunks(List<Digest> digests, List<byte[]> data) throws IOException {
    List<Path[]> pending = new ArrayList<>(digests.size());
    try {
      for (int i = 0; i < digests.size(); i++) {
        Digest d = digests.get(i);
        if (!Digest.of(data.get(i)).equals(d)) {
          throw new PhantomException(io.vertx.grpc.common.GrpcStatus.DATA_LOSS,
              "the store sent other bytes for chunk " + d.hex());
        }
        Path temp = newTemp();
        Files.write(temp, data.get(i), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        pending.add(new Path[] {temp, chunkPath(d)});
      }
      // No sync: a chunk is checked on every read, so one a crash left short is found and fetched again.
      publish(pending, false);
    } finally {
      for (Path[] p : pending) {
        Files.deleteIfExists(p[0]);
      }
    }
  }

  /**
   * Writes every file of {@code keys} not yet in {@code files/} from cached chunks.
   *
   * @return the chunks that were missing or corrupt; the files needing them were not written
   */
  Set<Digest> writeFiles(Collection<FileKey> keys) throws IOException {
    Set<Digest> lacking = new LinkedHashSet<>();
    List<Path[]> pending = new ArrayList<>();
    try {
      for (FileKey key : keys) {
        if (hasFile(key)) {
          continue;
        }
        Path temp = newTemp();
        if (!writeFile(key, temp, lacking)) {
          Files.deleteIfExists(temp);
          continue;
        }
        pending.add(new Path[] {temp, files.resolve(key.relativePath())});
      }
      // Synced: a sandbox reads a file through its hard link, unchecked.
      counters.filesMaterialized.addAndGet(publish(pending, true));
    } finally {
      for (Path[] p : pending) {
        Files.deleteIfExists(p[0]);
      }
    }
    return lacking;
  }

  private boolean writeFile(FileKey key, Path temp, Set<Digest> lacking) throws IOException {
    try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (Entry.ChunkRef c : key.file().chunks()) {
        byte[] data = readChunk(c.digest());
        if (data == null || data.length != c.length()) {
          lacking.add(c.digest());
          return false;
        }
        ByteBuffer buffer = ByteBuffer.wrap(data);
        while (buffer.hasRemaining()) {
          out.write(buffer);
        }
      }
    }
    setOwner(temp, key.uid(), key.gid());
    // After chown, which clears setuid and setgid.
    Files.setAttribute(temp, "unix:mode", key.mode(), LinkOption.NOFOLLOW_LINKS);
    Files.setLastModifiedTime(temp, FileTime.fromMillis(key.file().meta().mtime() * 1000));
    if (!key.xattrs().isEmpty()) {
      UserDefinedFileAttributeView view = Files.getFileAttributeView(temp, UserDefinedFileAttributeView.class);
      for (Xattr x : key.xattrs()) {
        // The importer keeps only user.* attributes; the view adds the "user." prefix itself.
        view.write(x.name().substring("user.".length()), ByteBuffer.wrap(x.value()));
      }
    }
    return true;
  }

  void setOwner(Path path, int uid, int gid) throws IOException {
    if (root && (uid != 0 || gid != 0)) {
      Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
      Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    }
  }

  /** Links each temp to its name, after one syncfs when {@code durable}; returns how many were new. */
  private int publish(List<Path[]> pending, boolean durable) throws IOException {
    if (pending.isEmpty()) {
      return 0;
    }
    if (durable) {
      syncfs();
    }
    int added = 0;
    for (Path[] p : pending) {
      Files.createDirectories(p[1].getParent());
      try {
        Files.createLink(p[1], p[0]);
        added++;
      } catch (FileAlreadyExistsException e) {
        // written meanwhile by another materialization: same bytes
      }
    }
    return added;
  }

  private void syncfs() throws IOException {
    LibC libc = LibC.get();
    int fd = libc.open(dir.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC, 0);
    if (fd < 0) {
      throw new IOException("cannot open " + dir + " to sync it");
    }
    try {
      if (libc.syncfs(fd) != 0) {
        throw new IOException("syncfs of " + dir + " failed");
      }
    } finally {
      libc.close(fd);
    }
  }

  private Path chunkPath(Digest d) {
    String hex = d.hex();
    return chunks.resolve(hex.substring(0, 2)).resolve(hex);
  }

  Path newTemp() {
    return tmp.resolve(ProcessHandle.current().pid() + "-" + TMP_NAMES.incrementAndGet());
  }
}
