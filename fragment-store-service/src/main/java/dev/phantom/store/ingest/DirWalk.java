package dev.phantom.store.ingest;

import dev.phantom.store.core.Meta;
import dev.phantom.store.core.StoreException;
import dev.phantom.store.core.TreeBuilder;
import dev.phantom.store.core.Xattr;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Imports a host directory as it is: symlinks are kept as links (never followed), files with several
 * names become one file and hardlinks, device nodes, FIFOs and sockets are refused (naming the path).
 * Extended attributes of the {@code user.} namespace are kept; the JDK reads no other namespace.
 */
final class DirWalk {

  private static final int S_IFMT = 0170000;
  private static final int S_IFREG = 0100000;
  private static final int S_IFDIR = 0040000;
  private static final int S_IFLNK = 0120000;

  private DirWalk() {}

  static void apply(Path root, TreeBuilder builder, Ingest ingest) throws IOException {
    Map<String, List<String>> inodes = new HashMap<>();
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        visit(dir);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        visit(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) {
        throw StoreException.invalid("cannot read " + file + ": " + e.getMessage());
      }

      private void visit(Path p) throws IOException {
        List<String> path = new ArrayList<>();
        root.relativize(p).forEach(part -> {
          if (!part.toString().isEmpty()) {
            path.add(part.toString());
          }
        });
        try {
          one(p, path);
        } catch (IllegalArgumentException e) {
          throw StoreException.invalid(p + ": " + e.getMessage());
        }
      }

      private void one(Path p, List<String> path) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,ino,dev,nlink,lastModifiedTime",
            LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        Meta meta = new Meta(mode & Meta.MODE_BITS, (Integer) a.get("uid"), (Integer) a.get("gid"),
            ((FileTime) a.get("lastModifiedTime")).toInstant().getEpochSecond(),
            // Reading attributes opens the file: never a FIFO (the open would block) or a device.
            (mode & S_IFMT) == S_IFREG || (mode & S_IFMT) == S_IFDIR ? xattrs(p) : List.of());
        switch (mode & S_IFMT) {
          case S_IFDIR -> builder.putDir(path, meta);
          case S_IFLNK -> builder.putSymlink(path, meta, Files.readSymbolicLink(p).toString());
          case S_IFREG -> {
            String inode = a.get("dev") + ":" + a.get("ino");
            if ((Integer) a.get("nlink") > 1 && inodes.containsKey(inode)) {
              builder.putHardlink(path, inodes.get(inode));
              return;
            }
            try (InputStream in = Files.newInputStream(p)) {
              var refs = ingest.file(in);
              builder.putFile(path, meta, refs.stream().mapToLong(r -> r.length()).sum(), refs);
            }
            if ((Integer) a.get("nlink") > 1) {
              inodes.put(inode, List.copyOf(path));
            }
          }
          default -> throw new IllegalArgumentException("is a device node, FIFO or socket; images hold only"
              + " directories, regular files and links");
        }
      }
    });
  }

  private static List<Xattr> xattrs(Path p) {
    UserDefinedFileAttributeView view = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
    if (view == null) {
      return List.of();
    }
    List<Xattr> out = new ArrayList<>();
    try {
      for (String name : view.list()) {
        ByteBuffer value = ByteBuffer.allocate(view.size(name));
        view.read(name, value);
        out.add(new Xattr("user." + name, java.util.Arrays.copyOf(value.array(), value.position())));
      }
    } catch (IOException | UnsupportedOperationException e) {
      return List.of(); // the file system keeps none
    }
    return out;
  }
}
