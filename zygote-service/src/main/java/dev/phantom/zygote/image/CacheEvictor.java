package dev.phantom.zygote.image;

import dev.phantom.zygote.workspace.Workspaces;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Logger;

/**
 * One eviction pass over the node cache, blocking; the caller makes sure no build runs meanwhile (a build
 * counts on the chunks and files it saw). Under the cap nothing happens. Over it, in this order, until
 * the cache fits:
 * <ol>
 *   <li>files no tree links any more (link count 1), e.g. left by an earlier pass that was stopped;
 *   <li>chunks, oldest first: they are only a fetch cache, every file built from one holds its bytes;
 *   <li>trees, least recently handed out first, skipping those handed out within the grace and those
 *       mounted anywhere on the host ({@link TreeMounts}); each is renamed into {@code tmp/} (so a
 *       materialization never sees half of it) and deleted, then the files only it linked.
 * </ol>
 */
final class CacheEvictor {

  private static final Logger LOG = Logger.getLogger(CacheEvictor.class.getName());

  /** What one pass did. */
  record Pass(long bytesBefore, long bytesAfter, int trees, int files, int chunks) {}

  private record Stored(Path path, long size, FileTime modified) {}

  private final NodeCache cache;
  private final TreeUses uses;
  private final TreeMounts mounts;
  private final CacheLimit limit;
  private final InstantSource clock;
  private final ImageCounters counters;

  CacheEvictor(NodeCache cache, TreeUses uses, TreeMounts mounts, CacheLimit limit, InstantSource clock,
      ImageCounters counters) {
    this.cache = cache;
    this.uses = uses;
    this.mounts = mounts;
    this.limit = limit;
    this.clock = clock;
    this.counters = counters;
  }

  Pass run() throws IOException {
    Map<Object, Stored> files = new HashMap<>();
    List<Stored> orphans = new ArrayList<>();
    long[] total = {0};
    walk(cache.filesDir(), (path, attrs) -> {
      Stored s = new Stored(path, (Long) attrs.get("size"), (FileTime) attrs.get("lastModifiedTime"));
      total[0] += s.size();
      files.put(attrs.get("ino"), s);
      if ((Integer) attrs.get("nlink") == 1) {
        orphans.add(s);
      }
    });
    List<Stored> chunks = new ArrayList<>();
    walk(cache.chunksDir(), (path, attrs) -> {
      Stored s = new Stored(path, (Long) attrs.get("size"), (FileTime) attrs.get("lastModifiedTime"));
      total[0] += s.size();
      chunks.add(s);
    });
    long before = total[0];
    int filesRemoved = 0;
    int chunksRemoved = 0;
    int treesRemoved = 0;
    for (Stored s : orphans) {
      if (total[0] <= limit.maxBytes()) {
        break;
      }
      total[0] -= delete(s);
      filesRemoved++;
    }
    chunks.sort(Comparator.comparing(Stored::modified));
    for (Stored s : chunks) {
      if (total[0] <= limit.maxBytes()) {
        break;
      }
      total[0] -= delete(s);
      chunksRemoved++;
    }
    if (total[0] > limit.maxBytes()) {
      // The clock first, then the mounts: a tree handed out before idleBefore and not mounted at the scan
      // was not mounted within the grace. Read the other way round, a tree mounted just after the scan could
      // pass for idle on a clock read later.
      long idleBefore = clock.millis() - limit.graceMs();
      Set<String> mounted = mounts.inUse();
      for (String name : uses.leastRecentlyUsed()) {
        if (total[0] <= limit.maxBytes()) {
          break;
        }
        Path away = uses.removeIfIdle(name, idleBefore, mounted, cache::detachTree);
        if (away == null) {
          continue;
        }
        Set<Object> inodes = new HashSet<>();
        walk(away, (path, attrs) -> inodes.add(attrs.get("ino")));
        Workspaces.deleteTree(away);
        treesRemoved++;
        for (Object ino : inodes) {
          Stored s = files.get(ino);
          if (s != null && linkCount(s.path()) == 1) {
            total[0] -= delete(s);
            files.remove(ino);
            filesRemoved++;
          }
        }
      }
    }
    counters.cacheBytes.set(total[0]);
    Pass pass = new Pass(before, total[0], treesRemoved, filesRemoved, chunksRemoved);
    if (before > limit.maxBytes()) {
      counters.evictedTrees.addAndGet(treesRemoved);
      counters.evictedFiles.addAndGet(filesRemoved);
      counters.evictedChunks.addAndGet(chunksRemoved);
      counters.evictedBytes.addAndGet(before - total[0]);
      String what = "image cache " + cache.dir() + " over its cap of " + limit.maxBytes() + " bytes: " + pass;
      if (total[0] > limit.maxBytes()) {
        LOG.warning(what + "; the rest is in use");
      } else {
        LOG.info(what);
      }
    }
    return pass;
  }

  private interface Visit {
    void accept(Path path, Map<String, Object> attrs) throws IOException;
  }

  /** Every regular file under {@code dir}, with its inode, link count, size and modification time. */
  private static void walk(Path dir, Visit visit) throws IOException {
    try (var all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          try {
            visit.accept(p, Files.readAttributes(p, "unix:ino,nlink,size,lastModifiedTime", LinkOption.NOFOLLOW_LINKS));
          } catch (NoSuchFileException e) {
            // a corrupt chunk deleted by a reader meanwhile
          }
        }
      }
    }
  }

  private static int linkCount(Path path) throws IOException {
    try {
      return (Integer) Files.getAttribute(path, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return 0;
    }
  }

  private static long delete(Stored s) throws IOException {
    return Files.deleteIfExists(s.path()) ? s.size() : 0;
  }
}
