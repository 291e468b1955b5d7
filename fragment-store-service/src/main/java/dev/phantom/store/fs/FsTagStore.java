package dev.phantom.store.fs;

import dev.phantom.store.core.Digest;
import dev.phantom.store.core.StoreException;
import dev.phantom.store.core.TagName;
import dev.phantom.store.core.TagStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * One file per tag in {@code tags/}, named by the tag and holding the manifest's digest in hex. Set is
 * write temp, fsync, rename over, fsync the directory: a reader sees the old or the new digest, never
 * a mix, and a crash keeps one of them.
 */
public final class FsTagStore implements TagStore {

  private final Path dir;
  private final Path tmp;

  public FsTagStore(Path dir, Path tmp) {
    this.dir = dir;
    this.tmp = tmp;
    try {
      Files.createDirectories(dir);
      Files.createDirectories(tmp);
    } catch (IOException e) {
      throw FsSync.io("create " + dir, e);
    }
  }

  @Override
  public void set(String tag, Digest manifest) {
    String name = TagName.parse(tag);
    Path temp = tmp.resolve("tag." + UUID.randomUUID() + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap((manifest.hex() + "\n").getBytes(StandardCharsets.US_ASCII));
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(false);
      }
      Files.move(temp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      FsSync.directory(dir);
    } catch (IOException e) {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException ignored) {
        // removed at the next start
      }
      throw FsSync.io("set tag " + name, e);
    }
  }

  @Override
  public Optional<Digest> resolve(String tag) {
    String name = TagName.parse(tag);
    try {
      return Optional.of(read(dir.resolve(name)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw FsSync.io("read tag " + name, e);
    }
  }

  @Override
  public Map<String, Digest> list() {
    Map<String, Digest> tags = new TreeMap<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path file : files) {
        String name = file.getFileName().toString();
        try {
          tags.put(name, read(file));
        } catch (NoSuchFileException gone) {
          // deleted while listing
        } catch (IllegalArgumentException e) {
          // Never written by this class (writes are atomic). Refusing to list keeps the garbage
          // collector from sweeping what this tag may have named.
          throw new StoreException(StoreException.Reason.CORRUPT, "tag file " + file + " does not hold a digest: "
              + e.getMessage());
        }
      }
    } catch (IOException e) {
      throw FsSync.io("list " + dir, e);
    }
    return tags;
  }

  @Override
  public boolean delete(String tag) {
    String name = TagName.parse(tag);
    try {
      boolean deleted = Files.deleteIfExists(dir.resolve(name));
      FsSync.directory(dir);
      return deleted;
    } catch (IOException e) {
      throw FsSync.io("delete tag " + name, e);
    }
  }

  private static Digest read(Path file) throws IOException {
    return Digest.parse(Files.readString(file, StandardCharsets.US_ASCII).strip());
  }
}
