package dev.phantom.store.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * What a tree entry keeps besides its content: permission bits (with setuid, setgid, sticky), owner,
 * modification time in whole seconds, and extended attributes sorted by name.
 */
public record Meta(int mode, int uid, int gid, long mtime, List<Xattr> xattrs) {

  public static final int MODE_BITS = 07777;
  /** Parents a tar archive never listed get this: rwxr-xr-x root:root, time 0. */
  public static final Meta DEFAULT_DIR = new Meta(0755, 0, 0, 0, List.of());

  public Meta {
    if ((mode & ~MODE_BITS) != 0) {
      throw new IllegalArgumentException("mode " + Integer.toOctalString(mode) + " has bits beyond 07777");
    }
    if (uid < 0 || gid < 0) {
      throw new IllegalArgumentException("negative uid or gid: " + uid + ":" + gid);
    }
    List<Xattr> sorted = new ArrayList<>(xattrs);
    sorted.sort(Comparator.comparing(Xattr::name));
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i).name().equals(sorted.get(i - 1).name())) {
        throw new IllegalArgumentException("xattr " + sorted.get(i).name() + " given twice");
      }
    }
    xattrs = List.copyOf(sorted);
  }

  public static Meta of(int mode, int uid, int gid, long mtime) {
    return new Meta(mode & MODE_BITS, uid, gid, mtime, List.of());
  }
}
