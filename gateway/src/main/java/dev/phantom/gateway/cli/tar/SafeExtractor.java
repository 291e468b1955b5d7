package dev.phantom.gateway.cli.tar;

import dev.phantom.gateway.cli.tar.ArchiveException.Reason;
import dev.phantom.gateway.cli.tar.ArchiveTree.Entry;
import dev.phantom.gateway.cli.tar.ArchiveTree.Kind;
import dev.phantom.gateway.cli.tar.ArchiveTree.Node;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongConsumer;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Unpacks a tar that came from a sandbox into a host directory without trusting it. Two passes over the
 * archive file: the first reads every header and refuses the whole archive if any entry is unsafe
 * ({@link ArchiveTree}), so that nothing is written unless everything may be; the second writes, and
 * checks again as it goes that no path component it walks is a link, never following one (files are
 * created with O_EXCL|O_NOFOLLOW). Symbolic links are made last, after every file and directory.
 * Modes keep only the permission bits (no setuid, setgid or sticky); owners are never set.
 *
 * <p>Not defended against: another local process racing to swap a directory of the target for a link
 * while we write. The threat here is the archive's content, and the target belongs to the caller.
 */
public final class SafeExtractor {

  private SafeExtractor() {}

  public record Extracted(int entries, long bytes) {}

  /**
   * @param target an existing directory (the caller's own; a link to it is followed)
   * @param written told the running total of content bytes written, for a progress line
   */
  public static Extracted extract(Path archive, Path target, ArchiveLimits limits, LongConsumer written)
      throws IOException, ArchiveException {
    Path root = target.toRealPath();
    ArchiveTree tree = check(archive, root, limits);
    List<Entry> links = new ArrayList<>();
    List<Entry> directories = new ArrayList<>();
    long total = 0;
    int count = 0;
    try (TarArchiveInputStream tar = open(archive)) {
      TarArchiveEntry header;
      int next = 0;
      List<Entry> accepted = tree.entries();
      while ((header = tar.getNextEntry()) != null) {
        List<String> parts = partsOf(header.getName());
        if (parts.isEmpty()) {
          continue;
        }
        Entry entry = accepted.get(next++);
        if (!entry.parts().equals(parts)) {
          throw new ArchiveException(Reason.MALFORMED, "the archive changed while it was read");
        }
        switch (entry.kind()) {
          case DIRECTORY -> {
            directory(root, entry);
            directories.add(entry);
          }
          case FILE -> total += file(root, entry, tar, limits.maxBytes() - total, total, written);
          case HARDLINK -> hardLink(root, entry);
          case SYMLINK -> links.add(entry);
        }
        count++;
      }
    }
    for (Entry link : links) {
      Path path = replaceable(root, link);
      Files.createSymbolicLink(path, Path.of(link.link()));
    }
    // Last, and deepest first, so that a read-only directory does not stop its own entries being written.
    for (int i = directories.size() - 1; i >= 0; i--) {
      Entry entry = directories.get(i);
      Path path = root.resolve(entry.path());
      Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
          .setPermissions(permissions(entry.mode()));
      times(path, entry);
    }
    return new Extracted(count, total);
  }

  /** The first pass: every header judged, every entry's data skipped (a short archive fails here). */
  private static ArchiveTree check(Path archive, Path root, ArchiveLimits limits) throws IOException, ArchiveException {
    ArchiveTree tree = new ArchiveTree(limits, parts -> existing(root, parts));
    try (TarArchiveInputStream tar = open(archive)) {
      TarArchiveEntry header;
      while ((header = tar.getNextEntry()) != null) {
        Kind kind = kind(header);
        tree.add(header.getName(), kind, kind == null ? typeName(header.getLinkFlag()) : null, header.getLinkName(),
            header.getSize(), header.getMode(), header.getLastModifiedTime() == null ? 0 : header.getLastModifiedTime().toMillis());
      }
    }
    tree.finish();
    return tree;
  }

  private static TarArchiveInputStream open(Path archive) throws IOException {
    InputStream in = new BufferedInputStream(Files.newInputStream(archive), 64 << 10);
    return new TarArchiveInputStream(in, "UTF-8");
  }

  /** By type flag, not the library's guesses: a name ending in '/' is a directory only for old tars. */
  private static Kind kind(TarArchiveEntry header) {
    return switch (header.getLinkFlag()) {
      case TarConstants.LF_NORMAL, TarConstants.LF_OLDNORM, TarConstants.LF_CONTIG ->
          header.getName().endsWith("/") ? Kind.DIRECTORY : Kind.FILE;
      case TarConstants.LF_DIR -> Kind.DIRECTORY;
      case TarConstants.LF_SYMLINK -> Kind.SYMLINK;
      case TarConstants.LF_LINK -> Kind.HARDLINK;
      default -> null;
    };
  }

  private static String typeName(byte flag) {
    return switch (flag) {
      case TarConstants.LF_CHR -> "character device";
      case TarConstants.LF_BLK -> "block device";
      case TarConstants.LF_FIFO -> "fifo";
      case TarConstants.LF_GNUTYPE_SPARSE -> "sparse file";
      default -> "entry of type '" + ArchiveTree.shown(String.valueOf((char) (flag & 0xff))) + "'";
    };
  }

  private static List<String> partsOf(String name) {
    List<String> parts = new ArrayList<>();
    for (String part : name.split("/")) {
      if (!part.isEmpty() && !part.equals(".")) {
        parts.add(part);
      }
    }
    return parts;
  }

  /** What the target holds at a relative path; every component but the last must be a real directory. */
  private static Node existing(Path root, List<String> parts) {
    Path path = root;
    for (int i = 0; i < parts.size(); i++) {
      path = path.resolve(parts.get(i));
      BasicFileAttributes attributes;
      try {
        attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (IOException e) {
        return new Node.Absent();
      }
      boolean last = i == parts.size() - 1;
      if (attributes.isSymbolicLink()) {
        try {
          return last ? new Node.Link(Files.readSymbolicLink(path).toString()) : new Node.Other();
        } catch (IOException e) {
          return new Node.Other();
        }
      }
      if (!attributes.isDirectory()) {
        return last ? new Node.Other() : new Node.Absent();
      }
    }
    return new Node.Directory();
  }

  /** The entry's parent directories, made as needed; refuses if any component is not a real directory. */
  private static Path parent(Path root, Entry entry) throws IOException, ArchiveException {
    Path path = root;
    List<String> parts = entry.parts();
    for (int i = 0; i < parts.size() - 1; i++) {
      path = path.resolve(parts.get(i));
      directoryAt(path, entry);
    }
    return path;
  }

  private static void directoryAt(Path path, Entry entry) throws IOException, ArchiveException {
    try {
      Files.createDirectory(path);
    } catch (FileAlreadyExistsException e) {
      BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attributes.isDirectory()) {
        throw new ArchiveException(attributes.isSymbolicLink() ? Reason.THROUGH_LINK : Reason.NOT_A_DIRECTORY,
            "entry '" + ArchiveTree.shown(entry.name()) + "' goes through " + path + ", which is not a directory");
      }
    }
  }

  private static void directory(Path root, Entry entry) throws IOException, ArchiveException {
    Path path = parent(root, entry).resolve(entry.parts().getLast());
    directoryAt(path, entry);
    // Writable by us until the end, whatever mode the archive gives it.
    Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setPermissions(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_EXECUTE));
  }

  /** The entry's path, its parents made, whatever file or link was there removed (never a directory). */
  private static Path replaceable(Path root, Entry entry) throws IOException, ArchiveException {
    Path path = parent(root, entry).resolve(entry.parts().getLast());
    try {
      BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (attributes.isDirectory()) {
        throw new ArchiveException(Reason.IS_A_DIRECTORY, "entry '" + ArchiveTree.shown(entry.name())
            + "' would replace the directory " + path);
      }
      Files.delete(path);
    } catch (NoSuchFileException e) {
      // Nothing to replace.
    }
    return path;
  }

  private static long file(Path root, Entry entry, InputStream data, long budget, long before, LongConsumer written)
      throws IOException, ArchiveException {
    Path path = replaceable(root, entry);
    long copied = 0;
    byte[] buffer = new byte[64 << 10];
    try (OutputStream out = Files.newOutputStream(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
        LinkOption.NOFOLLOW_LINKS)) {
      int n;
      while ((n = data.read(buffer)) > 0) {
        copied += n;
        if (copied > entry.size() || copied > budget) {
          throw new ArchiveException(Reason.TOO_LARGE, "entry '" + ArchiveTree.shown(entry.name()) + "' holds more than it declared");
        }
        out.write(buffer, 0, n);
        written.accept(before + copied);
      }
    }
    if (copied != entry.size()) {
      throw new ArchiveException(Reason.MALFORMED, "entry '" + ArchiveTree.shown(entry.name()) + "' is cut short");
    }
    Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setPermissions(permissions(entry.mode()));
    times(path, entry);
    return copied;
  }

  private static void hardLink(Path root, Entry entry) throws IOException, ArchiveException {
    Path existing = root.resolve(entry.link());
    if (!Files.isRegularFile(existing, LinkOption.NOFOLLOW_LINKS)) {
      throw new ArchiveException(Reason.LINK_ESCAPES, "hard link '" + ArchiveTree.shown(entry.name())
          + "' points to '" + entry.link() + "', which is not a file written from this archive");
    }
    Files.createLink(replaceable(root, entry), existing);
  }

  private static void times(Path path, Entry entry) throws IOException {
    if (entry.mtimeMillis() > 0) {
      FileTime time = FileTime.fromMillis(entry.mtimeMillis());
      Files.getFileAttributeView(path, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setTimes(time, null, null);
    }
  }

  /** Permission bits only: setuid, setgid and sticky from a sandbox have no business on the host. */
  public static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] all = PosixFilePermission.values();
    for (int bit = 0; bit < 9; bit++) {
      if ((mode & (1 << (8 - bit))) != 0) {
        set.add(all[bit]);
      }
    }
    return set;
  }
}
