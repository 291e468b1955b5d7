package dev.phantom.gateway.core;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Checks paths a client names inside /workspace, before anything reaches a node. Only the text is
 * judged here; the zygote still refuses to follow symbolic links when it touches the files.
 */
public final class WorkspacePaths {

  public static final String ROOT = "/workspace";
  private static final int MAX_PATH_CHARS = 4096;
  private static final int MAX_NAME_CHARS = 255;

  private WorkspacePaths() {}

  /**
   * Normalizes {@code path} (relative to /workspace, or absolute under it) to a relative path with
   * no {@code .} or {@code ..} components.
   *
   * @throws IllegalArgumentException naming the path when it is empty, too long, holds a NUL, or
   *     would leave /workspace
   */
  public static String relative(String path) {
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException("a workspace path is empty");
    }
    if (path.length() > MAX_PATH_CHARS || path.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("workspace path '" + printable(path) + "' is too long or holds a NUL byte");
    }
    String rest = path;
    if (path.startsWith("/")) {
      if (!(path.equals(ROOT) || path.startsWith(ROOT + "/"))) {
        throw new IllegalArgumentException("path '" + path + "' is outside " + ROOT);
      }
      rest = path.substring(ROOT.length());
    }
    Deque<String> parts = new ArrayDeque<>();
    for (String part : rest.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (parts.isEmpty()) {
          throw new IllegalArgumentException("path '" + path + "' leaves " + ROOT);
        }
        parts.removeLast();
        continue;
      }
      if (part.length() > MAX_NAME_CHARS) {
        throw new IllegalArgumentException("path '" + path + "' has a name longer than " + MAX_NAME_CHARS);
      }
      parts.addLast(part);
    }
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("path '" + path + "' names " + ROOT + " itself, not a file in it");
    }
    return String.join("/", parts);
  }

  private static String printable(String path) {
    String cut = path.length() > 80 ? path.substring(0, 80) + "…" : path;
    return cut.replace('\0', '?');
  }
}
