package dev.phantom.gateway.cli.tar;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Packs a host directory (or one file) into a tar file for {@code UploadArchive}. Links are stored as
 * links, never followed; sockets, fifos and devices are skipped and reported. The sandbox unpacks it with
 * GNU tar under its own user, so what a link points to resolves inside the sandbox.
 */
public final class DirectoryPacker {

  private DirectoryPacker() {}

  /** @param skipped paths left out (sockets, fifos, devices), relative to the source */
  public record Packed(int entries, long bytes, List<String> skipped) {}

  /** Packs the contents of {@code dir} with names relative to it; {@code dir} itself has no entry. */
  public static Packed directory(Path dir, Path tarFile, Consumer<Packed> progress) throws IOException {
    try (TarArchiveOutputStream tar = create(tarFile)) {
      Packed[] packed = {new Packed(0, 0, new ArrayList<>())};
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path path, BasicFileAttributes attributes) throws IOException {
          if (!path.equals(dir)) {
            packed[0] = add(tar, path, name(dir, path) + "/", attributes, packed[0]);
            progress.accept(packed[0]);
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path path, BasicFileAttributes attributes) throws IOException {
          packed[0] = add(tar, path, name(dir, path), attributes, packed[0]);
          progress.accept(packed[0]);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path path, IOException failure) throws IOException {
          throw new IOException("cannot read " + path + ": " + failure.getMessage(), failure);
        }
      });
      tar.finish();
      return packed[0];
    }
  }

  /** One file, stored under {@code name}. */
  public static Packed file(Path file, String name, Path tarFile) throws IOException {
    try (TarArchiveOutputStream tar = create(tarFile)) {
      Packed packed = add(tar, file, name, Files.readAttributes(file, BasicFileAttributes.class), new Packed(0, 0, new ArrayList<>()));
      tar.finish();
      return packed;
    }
  }

  private static TarArchiveOutputStream create(Path tarFile) throws IOException {
    OutputStream out = new BufferedOutputStream(Files.newOutputStream(tarFile), 64 << 10);
    TarArchiveOutputStream tar = new TarArchiveOutputStream(out, "UTF-8");
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    return tar;
  }

  private static String name(Path dir, Path path) {
    return dir.relativize(path).toString();
  }

  private static Packed add(TarArchiveOutputStream tar, Path path, String name, BasicFileAttributes attributes,
      Packed packed) throws IOException {
    TarArchiveEntry entry;
    if (attributes.isSymbolicLink()) {
      entry = new TarArchiveEntry(name, TarConstants.LF_SYMLINK);
      entry.setLinkName(Files.readSymbolicLink(path).toString());
    } else if (attributes.isDirectory()) {
      entry = new TarArchiveEntry(name, TarConstants.LF_DIR);
    } else if (attributes.isRegularFile()) {
      entry = new TarArchiveEntry(name, TarConstants.LF_NORMAL);
      entry.setSize(attributes.size());
    } else {
      packed.skipped().add(name);
      return packed;
    }
    entry.setMode(attributes.isSymbolicLink() ? 0777 : mode(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS)));
    entry.setModTime(attributes.lastModifiedTime());
    tar.putArchiveEntry(entry);
    long bytes = 0;
    if (attributes.isRegularFile()) {
      try (InputStream in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS)) {
        // Exactly the size in the header, even if the file grows while we read it.
        BoundedOutput bounded = new BoundedOutput(tar, attributes.size());
        in.transferTo(bounded);
        bytes = bounded.written;
      }
      if (bytes != attributes.size()) {
        throw new IOException(path + " shrank while it was being copied");
      }
    }
    tar.closeArchiveEntry();
    return new Packed(packed.entries() + 1, packed.bytes() + bytes, packed.skipped());
  }

  private static int mode(Set<PosixFilePermission> permissions) {
    int mode = 0;
    for (PosixFilePermission permission : permissions) {
      mode |= 1 << (8 - permission.ordinal());
    }
    return mode;
  }

  /** Passes on at most {@code limit} bytes and drops the rest. */
  private static final class BoundedOutput extends OutputStream {
    private final OutputStream out;
    private long left;
    long written;

    BoundedOutput(OutputStream out, long limit) {
      this.out = out;
      this.left = limit;
    }

    @Override
    public void write(int b) throws IOException {
      if (left > 0) {
        out.write(b);
        left--;
        written++;
      }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      int n = (int) Math.min(len, left);
      if (n > 0) {
        out.write(b, off, n);
        left -= n;
        written += n;
      }
    }
  }
}
