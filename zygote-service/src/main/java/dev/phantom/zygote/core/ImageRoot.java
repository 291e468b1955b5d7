package dev.phantom.zygote.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The mounts that make a materialized image a sandbox's root. Bubblewrap's root stays its own tmpfs (made
 * read-only at the end, like every root) and each top-level entry of the image is bound read-only into it
 * (a symlink recreated): binding the tree itself at {@code /} would need every mount point of the profile
 * ({@code /proc}, {@code /workspace}, the session's {@code /.phantom}) to exist in the image already, and
 * bubblewrap cannot create one inside a read-only bind. A profile mount at the same path as a top-level
 * entry wins (the entry is left out), so a profile may still bind a host {@code /usr} over an image.
 */
public final class ImageRoot {

  private ImageRoot() {}

  /** One name at the top of an image tree. */
  public record TopEntry(String name, Kind kind, String linkTarget) {
    public enum Kind { DIR, FILE, SYMLINK }
  }

  /** The image's entries first (sorted by name), then the profile's mounts unchanged. */
  public static List<Mount> mounts(String treeDir, List<TopEntry> top, List<Mount> profileMounts) {
    Set<String> taken = new HashSet<>();
    for (Mount m : profileMounts) {
      taken.add(m.target());
    }
    List<TopEntry> sorted = new ArrayList<>(top);
    sorted.sort(Comparator.comparing(TopEntry::name));
    List<Mount> out = new ArrayList<>(sorted.size() + profileMounts.size());
    for (TopEntry e : sorted) {
      String target = "/" + e.name();
      if (taken.contains(target)) {
        continue;
      }
      out.add(switch (e.kind()) {
        case DIR, FILE -> new Mount.ReadOnlyBind(treeDir + "/" + e.name(), target, false);
        case SYMLINK -> new Mount.Symlink(e.linkTarget(), target);
      });
    }
    out.addAll(profileMounts);
    return out;
  }
}
