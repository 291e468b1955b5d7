package dev.phantom.zygote.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The mounts that make a materialized image a sandbox's root. Bubblewrap's root stays its own tmpfs (made
 * read-only at the end, like every root) and each top-level entry of the image is bound read-only into it
 * (a symlink recreated): binding the tree itself at {@code /} would need every mount point of the profile
 * ({@code /proc}, {@code /workspace}, the session's {@code /.phantom}) to exist in the image already, and
 * bubblewrap cannot create one inside a read-only bind. A profile mount at the same path as a top-level
 * entry wins (the entry is left out), so a profile may still bind a host {@code /usr} over an image.
 * A deeper profile mount goes on top of the image's entry when the image has its mount point; an optional
 * one whose mount point the image lacks is left out (bubblewrap could not create it in the read-only
 * entry, and the image owns that directory: a host {@code /etc/ld.so.cache} does not go into an image's
 * {@code /etc} that has none); a required one still fails at start with bubblewrap's error.
 */
public final class ImageRoot {

  private ImageRoot() {}

  /** One name at the top of an image tree. */
  public record TopEntry(String name, Kind kind, String linkTarget) {
    public enum Kind { DIR, FILE, SYMLINK }
  }

  /**
   * The image's entries first (sorted by name), then the profile's mounts.
   *
   * @param inImage whether the image holds an absolute path (its target inside the sandbox); asked only
   *     for optional binds inside an image directory
   */
  public static List<Mount> mounts(String treeDir, List<TopEntry> top, List<Mount> profileMounts,
      Predicate<String> inImage) {
    Set<String> taken = new HashSet<>();
    for (Mount m : profileMounts) {
      taken.add(m.target());
    }
    List<TopEntry> sorted = new ArrayList<>(top);
    sorted.sort(Comparator.comparing(TopEntry::name));
    List<Mount> out = new ArrayList<>(sorted.size() + profileMounts.size());
    Set<String> imageDirs = new HashSet<>();
    for (TopEntry e : sorted) {
      String target = "/" + e.name();
      if (taken.contains(target)) {
        continue;
      }
      if (e.kind() == TopEntry.Kind.DIR) {
        imageDirs.add(target);
      }
      out.add(switch (e.kind()) {
        case DIR, FILE -> new Mount.ReadOnlyBind(treeDir + "/" + e.name(), target, false);
        case SYMLINK -> new Mount.Symlink(e.linkTarget(), target);
      });
    }
    for (Mount m : profileMounts) {
      if (!(optional(m) && insideAny(m.target(), imageDirs) && !inImage.test(m.target()))) {
        out.add(m);
      }
    }
    return out;
  }

  private static boolean optional(Mount m) {
    return switch (m) {
      case Mount.ReadOnlyBind b -> b.optional();
      case Mount.Bind b -> b.optional();
      default -> false;
    };
  }

  private static boolean insideAny(String target, Set<String> dirs) {
    int second = target.indexOf('/', 1);
    return second > 0 && dirs.contains(target.substring(0, second));
  }
}
