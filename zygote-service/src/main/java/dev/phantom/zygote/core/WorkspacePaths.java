package dev.phantom.zygote.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns a path named by a request (relative to the workspace, or absolute under its mount target) into
 * its components below the workspace directory. Anything that could leave the workspace is refused:
 * {@code ..}, other absolute paths, empty names, NUL. Pure: nothing on the host is touched.
 */
public final class WorkspacePaths {

  /** Longest path accepted, and longest single component (Linux NAME_MAX). */
  static final int MAX_PATH = 4096;
  static final int MAX_NAME = 255;

  private WorkspacePaths() {}

  /**
   * @param target the workspace's mount target inside the sandbox, e.g. {@code /workspace}
   * @param path as named by the request
   * @return the components, never empty, none of them {@code .}, {@code ..} or empty
   * @throws ZygoteException {@code INVALID_REQUEST} naming the path and why
   */
  public static List<String> components(String target, String path) {
    if (path == null || path.isEmpty()) {
      throw invalid(path, "is empty");
    }
    if (path.length() > MAX_PATH || path.indexOf('\0') >= 0) {
      throw invalid(path, "is longer than " + MAX_PATH + " characters or contains NUL");
    }
    String rest = path;
    if (path.startsWith("/")) {
      String prefix = target.endsWith("/") ? target : target + "/";
      if (!path.startsWith(prefix)) {
        throw invalid(path, "is absolute but not under " + target);
      }
      rest = path.substring(prefix.length());
    }
    List<String> parts = new ArrayList<>();
    for (String part : rest.split("/", -1)) {
      if (part.equals(".")) {
        continue;
      }
      if (part.isEmpty()) {
        // Tolerate "a//b" but not an empty name at the end ("dir/").
        continue;
      }
      if (part.equals("..")) {
        throw invalid(path, "contains '..'");
      }
      if (part.length() > MAX_NAME) {
        throw invalid(path, "has a name longer than " + MAX_NAME + " bytes");
      }
      parts.add(part);
    }
    if (parts.isEmpty() || rest.endsWith("/")) {
      throw invalid(path, "names no file");
    }
    return List.copyOf(parts);
  }

  private static ZygoteException invalid(String path, String why) {
    return new ZygoteException(ZygoteException.Reason.INVALID_REQUEST,
        "workspace path '" + (path == null ? "" : path.replace("\0", "\\0")) + "' " + why);
  }
}
