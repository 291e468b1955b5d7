package dev.phantom.zygote.image;

import dev.phantom.zygote.workspace.Workspaces;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Builds {@code trees/<name>} of the node cache from an {@link ImagePlan}, in two steps so that linking is
 * the existence check: {@link #start} makes every directory and symlink and links every file already in
 * {@code files/}; once the caller has brought the others in, {@link #finish} links them, sets directory
 * metadata and renames the tree into place. A tree is directories and links only, which a journaling
 * filesystem (ext4, xfs) commits in order before the rename that publishes it. Blocking.
 */
final class TreeWriter {

  private final NodeCache cache;

  TreeWriter(NodeCache cache) {
    this.cache = cache;
  }

  /** A tree under construction in {@code tmp/}: every step done but the links whose file was missing. */
  record Build(Path temp, ImagePlan plan, List<ImagePlan.File> unlinked) {

    /** The distinct files the unlinked entries need. */
    List<FileKey> missingFiles() {
      Map<String, FileKey> keys = new LinkedHashMap<>();
      unlinked.forEach(f -> keys.putIfAbsent(f.key().name(), f.key()));
      return List.copyOf(keys.values());
    }
  }

  /**
   * Starts {@code trees/<name>} in {@code tmp/}: directories, symlinks, and a hard link for every file
   * already in {@code files/}; the others are left for {@link #finish}. Linking is the existence check,
   * so a warm cache costs no separate stat per file.
   */
  Build start(ImagePlan plan) throws IOException {
    Path temp = cache.newTemp();
    try {
      Files.createDirectory(temp);
      for (ImagePlan.Step step : plan.steps()) {
        if (step instanceof ImagePlan.Dir d) {
          Files.createDirectory(temp.resolve(d.path()));
        }
      }
      List<ImagePlan.File> unlinked = new CopyOnWriteArrayList<>();
      // In parallel: each directory has its own lock in the kernel, and linking is nearly all of a warm
      // materialization.
      forEachParallel(plan.steps(), step -> {
        switch (step) {
          case ImagePlan.Dir d -> { }
          case ImagePlan.File f -> {
            if (!link(temp.resolve(f.path()), cache.file(f.key()))) {
              unlinked.add(f);
            }
          }
          case ImagePlan.Symlink l -> {
            Path at = temp.resolve(l.path());
            Files.createSymbolicLink(at, Path.of(l.target()));
            cache.setOwner(at, l.uid(), l.gid());
          }
        }
      });
      return new Build(temp, plan, List.copyOf(unlinked));
    } catch (IOException | RuntimeException e) {
      Workspaces.deleteTree(temp);
      throw e;
    }
  }

  /**
   * Links what {@link #start} could not (its files must now be in {@code files/}), sets directory
   * metadata and renames the tree into place. Another builder that got there first wins; its tree is the same.
   */
  Path finish(Build build, String name) throws IOException {
    Path temp = build.temp();
    try {
      forEachParallel(build.unlinked(), f -> {
        if (!link(temp.resolve(f.path()), cache.file(f.key()))) {
          throw new NoSuchFileException(cache.file(f.key()).toString(), null,
              "file of /" + f.path() + " missing from the cache");
        }
      });
      // Directory modes last, deepest first: a read-only directory must not stop its own filling.
      List<ImagePlan.Step> steps = build.plan().steps();
      for (int i = steps.size() - 1; i >= 0; i--) {
        if (steps.get(i) instanceof ImagePlan.Dir d) {
          Path at = temp.resolve(d.path());
          cache.setOwner(at, d.uid(), d.gid());
          Files.setAttribute(at, "unix:mode", d.mode(), LinkOption.NOFOLLOW_LINKS);
          Files.setLastModifiedTime(at, FileTime.fromMillis(d.mtime() * 1000));
        }
      }
      ImagePlan.Dir top = build.plan().root();
      cache.setOwner(temp, top.uid(), top.gid());
      Files.setAttribute(temp, "unix:mode", top.mode());
      Path target = cache.tree(name);
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileSystemException e) {
        // rename(2) onto a non-empty directory fails (ENOTEMPTY, which the JDK reports without a subtype)
        if (!cache.hasTree(name)) {
          throw e;
        }
        Workspaces.deleteTree(temp);
      }
      return target;
    } catch (IOException | RuntimeException e) {
      Workspaces.deleteTree(temp);
      throw e;
    }
  }

  /** Drops a tree that will not be finished. */
  void abandon(Build build) {
    Workspaces.deleteTree(build.temp());
  }

  private interface IoAction<T> {
    void run(T item) throws IOException;
  }

  private static <T> void forEachParallel(List<T> items, IoAction<T> action) throws IOException {
    try {
      items.parallelStream().forEach(item -> {
        try {
          action.run(item);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** A hard link; past the filesystem's link limit (65000 on ext4) a copy instead; false when {@code file} is absent. */
  private static boolean link(Path at, Path file) throws IOException {
    try {
      Files.createLink(at, file);
      return true;
    } catch (NoSuchFileException e) {
      return false;
    } catch (FileSystemException e) {
      if (e.getReason() == null || !e.getReason().contains("Too many links")) {
        throw e;
      }
      Files.copy(file, at, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
      return true;
    }
  }
}
