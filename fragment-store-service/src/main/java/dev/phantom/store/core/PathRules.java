package dev.phantom.store.core;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What an imported path may be. Entries live under the image's root and never leave it: absolute
 * names and {@code ..} are refused rather than cleaned up, since an archive that contains them was
 * made by mistake or to attack whoever unpacks it. Symlinks may be absolute (they resolve inside the
 * image's root once it is a sandbox's {@code /}); a relative one that climbs above the root is refused.
 */
public final class PathRules {

  public static final int MAX_NAME_BYTES = 255;
  public static final int MAX_PATH_BYTES = 4095;
  public static final int MAX_DEPTH = 1024;

  private PathRules() {}

  /** Why {@code name} cannot be one directory entry, or null when it can. */
  public static String nameProblem(String name) {
    if (name.isEmpty()) {
      return "empty name";
    }
    if (name.equals(".") || name.equals("..")) {
      return "name '" + name + "'";
    }
    if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
      return "name '" + name.replace("\0", "\\0") + "' contains '/' or NUL";
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
      return "name of more than " + MAX_NAME_BYTES + " bytes";
    }
    return null;
  }

  /**
   * The components of an archive entry's path below the root; empty for the root itself
   * ({@code ./}). Leading {@code ./}, repeated and trailing slashes and {@code .} components are
   * dropped.
   *
   * @throws IllegalArgumentException for an absolute path, a {@code ..} component, NUL, or a path
   *     too long or too deep
   */
  public static List<String> entryPath(String raw) {
    if (raw.startsWith("/")) {
      throw new IllegalArgumentException("absolute path");
    }
    if (raw.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("NUL in path");
    }
    if (raw.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
      throw new IllegalArgumentException("path longer than " + MAX_PATH_BYTES + " bytes");
    }
    List<String> parts = new ArrayList<>();
    for (String part : raw.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw new IllegalArgumentException("'..' in path");
      }
      String problem = nameProblem(part);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
      parts.add(part);
    }
    if (parts.size() > MAX_DEPTH) {
      throw new IllegalArgumentException("more than " + MAX_DEPTH + " levels deep");
    }
    return List.copyOf(parts);
  }

  /**
   * Checks a symlink at {@code linkPath} (components from the root) pointing at {@code target}.
   *
   * @throws IllegalArgumentException for an empty target, NUL, or a relative target that leaves the root
   */
  public static void checkSymlink(List<String> linkPath, String target) {
    if (target.isEmpty() || target.indexOf('\0') >= 0 || target.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
      throw new IllegalArgumentException("symlink target is empty, has NUL or is too long");
    }
    if (target.startsWith("/")) {
      return;
    }
    int depth = linkPath.size() - 1; // the link's directory
    for (String part : target.split("/")) {
      if (part.equals("..")) {
        depth--;
        if (depth < 0) {
          throw new IllegalArgumentException("symlink to '" + target + "' points outside the root");
        }
      } else if (!part.isEmpty() && !part.equals(".")) {
        depth++;
      }
    }
  }

  /** Joins components into the path the user gave, for messages and hardlink targets. */
  public static String join(List<String> parts) {
    return String.join("/", parts);
  }
}
