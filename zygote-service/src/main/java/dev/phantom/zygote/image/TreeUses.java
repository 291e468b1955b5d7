package dev.phantom.zygote.image;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The trees of the node cache that are in place, with when each was last handed out. Handing out and
 * removing go through one monitor, so a tree is either handed out (and protected for the grace that
 * follows) or detached, never both: a materialization that misses it builds it anew.
 */
final class TreeUses {

  /** Detaches a tree from its name; returns where it went, null when it was gone already. */
  interface Detach {
    Path apply(String name) throws IOException;
  }

  private final Map<String, Long> lastUsedMs = new HashMap<>();

  /** Records a use of a tree in place; false when it is not (never built, or evicted). */
  synchronized boolean touch(String name, long nowMs) {
    return lastUsedMs.computeIfPresent(name, (n, t) -> nowMs) != null;
  }

  /** A tree now in place. */
  synchronized void add(String name, long nowMs) {
    lastUsedMs.put(name, nowMs);
  }

  /** Names, least recently used first. */
  synchronized List<String> leastRecentlyUsed() {
    List<String> names = new ArrayList<>(lastUsedMs.keySet());
    names.sort((a, b) -> Long.compare(lastUsedMs.get(a), lastUsedMs.get(b)));
    return names;
  }

  /**
   * Detaches the tree when it was last handed out before {@code idleBeforeMs} and is not {@code mounted};
   * returns where it went, or null when it stays (or was gone already: then it is forgotten).
   */
  synchronized Path removeIfIdle(String name, long idleBeforeMs, Set<String> mounted, Detach detach) throws IOException {
    Long last = lastUsedMs.get(name);
    if (last == null || last >= idleBeforeMs || mounted.contains(name)) {
      return null;
    }
    Path away = detach.apply(name);
    lastUsedMs.remove(name);
    return away;
  }

  synchronized int size() {
    return lastUsedMs.size();
  }
}
