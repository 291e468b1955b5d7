package dev.phantom.support.testing;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;

/** Removes the temporary directories tests make (state dirs), so that runs do not pile them up in /tmp. */
public final class TempDirs {

  private TempDirs() {}

  /**
   * Deletes {@code dir} and what it holds, best effort, without crossing into another filesystem: a mount
   * left behind (which a test of its own should catch) keeps what is inside it, never loses it.
   */
  public static void deleteQuietly(Path dir) {
    if (dir == null || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      Object device = Files.getAttribute(dir, "unix:dev", LinkOption.NOFOLLOW_LINKS);
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
          return device.equals(Files.getAttribute(d, "unix:dev", LinkOption.NOFOLLOW_LINKS))
              ? FileVisitResult.CONTINUE : FileVisitResult.SKIP_SUBTREE;
        }

        @Override
        public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
          delete(f);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path f, IOException e) {
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) {
          delete(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException | UnsupportedOperationException e) {
      // best effort: a temporary directory left is no test failure
    }
  }

  private static void delete(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // not empty (a skipped mount inside), or busy: leave it
    }
  }
}
