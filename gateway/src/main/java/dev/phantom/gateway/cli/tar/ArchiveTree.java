package dev.phantom.gateway.cli.tar;

import dev.phantom.gateway.cli.tar.ArchiveException.Reason;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The entries of a tar from an untrusted source, judged as a whole before anything is written: names
 * stay inside the target (no absolute paths, no {@code ..}), nothing is written through a link, links
 * point inside the target even when followed through other links, only files, directories and links
 * are accepted, and sizes stay within {@link ArchiveLimits}. Pure: what already exists in the target
 * comes in through {@link Existing}.
 */
final class ArchiveTree {

  enum Kind { DIRECTORY, FILE, SYMLINK, HARDLINK }

  /** One accepted entry; {@code parts} is its path below the target, {@code link} a link's target text. */
  record Entry(String name, List<String> parts, Kind kind, String link, long size, int mode, long mtimeMillis) {
    String path() {
      return String.join("/", parts);
    }
  }

  /** What the target directory already holds at a relative path, never following a link. */
  sealed interface Node {
    record Absent() implements Node {}
    record Directory() implements Node {}
    record Other() implements Node {}
    record Link(String target) implements Node {}
  }

  @FunctionalInterface
  interface Existing {
    Node at(List<String> parts);

    Existing NOTHING = parts -> new Node.Absent();
  }

  private static final int MAX_NAME_CHARS = 255;
  private static final int MAX_PATH_CHARS = 4096;
  /** As the kernel's ELOOP limit: a chain longer than this is a loop or an attack. */
  private static final int MAX_LINK_HOPS = 40;

  private final ArchiveLimits limits;
  private final Existing existing;
  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private long bytes;

  ArchiveTree(ArchiveLimits limits, Existing existing) {
    this.limits = limits;
    this.existing = existing;
  }

  /**
   * Checks one header. Returns the entry, or null for the archive's own root ({@code ./}), which is
   * the target itself and is skipped.
   *
   * @param kind null for anything but a file, directory or link; {@code typeName} then says what it is
   */
  Entry add(String name, Kind kind, String typeName, String link, long size, int mode, long mtimeMillis)
      throws ArchiveException {
    if (entries.size() >= limits.maxEntries()) {
      throw new ArchiveException(Reason.TOO_MANY_ENTRIES, "the archive has more than " + limits.maxEntries() + " entries");
    }
    List<String> parts = parts(name, name, Reason.ABSOLUTE_PATH, Reason.PARENT_REFERENCE);
    if (parts.isEmpty()) {
      if (kind == Kind.DIRECTORY) {
        return null;
      }
      throw new ArchiveException(Reason.MALFORMED, "entry '" + shown(name) + "' names the target directory itself");
    }
    if (kind == null) {
      throw new ArchiveException(Reason.SPECIAL_FILE, "entry '" + shown(name) + "' is a " + typeName
          + "; only files, directories and links are copied");
    }
    String path = String.join("/", parts);
    if (entries.containsKey(path)) {
      throw new ArchiveException(Reason.DUPLICATE, "entry '" + shown(name) + "' appears twice");
    }
    if (kind == Kind.FILE) {
      if (size < 0) {
        throw new ArchiveException(Reason.MALFORMED, "entry '" + shown(name) + "' has a negative size");
      }
      if (size > limits.maxBytes() - bytes) {
        throw new ArchiveException(Reason.TOO_LARGE, "entry '" + shown(name) + "' (" + size + " bytes) takes the archive past "
            + limits.maxBytes() + " bytes");
      }
      bytes += size;
    }
    if (kind == Kind.SYMLINK && (link == null || link.isEmpty())) {
      throw new ArchiveException(Reason.MALFORMED, "link '" + shown(name) + "' has no target");
    }
    if (kind == Kind.SYMLINK && link.startsWith("/")) {
      throw new ArchiveException(Reason.LINK_ESCAPES, "link '" + shown(name) + "' points to the absolute path '"
          + shown(link) + "'");
    }
    if (kind == Kind.HARDLINK) {
      List<String> to = parts(link == null ? "" : link, name, Reason.LINK_ESCAPES, Reason.LINK_ESCAPES);
      Entry target = entries.get(String.join("/", to));
      if (target == null || target.kind() != Kind.FILE) {
        throw new ArchiveException(Reason.LINK_ESCAPES, "hard link '" + shown(name) + "' points to '" + shown(link)
            + "', which is not a file earlier in the archive");
      }
      link = target.path();
    }
    Entry entry = new Entry(name, List.copyOf(parts), kind, link, kind == Kind.FILE ? size : 0, mode, mtimeMillis);
    entries.put(path, entry);
    return entry;
  }

  /**
   * The checks that need every entry: nothing goes through a link or a file (of the archive or already in
   * the target), entries do not replace what they cannot, and every symbolic link resolves inside.
   */
  void finish() throws ArchiveException {
    for (Entry entry : entries.values()) {
      for (int i = 1; i < entry.parts().size(); i++) {
        List<String> prefix = entry.parts().subList(0, i);
        Entry above = entries.get(String.join("/", prefix));
        Node node = above != null ? null : existing.at(prefix);
        if (above != null ? above.kind() != Kind.DIRECTORY : !(node instanceof Node.Absent || node instanceof Node.Directory)) {
          boolean link = above != null ? above.kind() == Kind.SYMLINK : node instanceof Node.Link;
          throw new ArchiveException(link ? Reason.THROUGH_LINK : Reason.NOT_A_DIRECTORY, "entry '" + shown(entry.name())
              + "' goes through '" + String.join("/", prefix) + "', which is " + (link ? "a symbolic link" : "not a directory"));
        }
      }
      Node here = existing.at(entry.parts());
      if (entry.kind() == Kind.DIRECTORY && !(here instanceof Node.Absent || here instanceof Node.Directory)) {
        throw new ArchiveException(here instanceof Node.Link ? Reason.THROUGH_LINK : Reason.NOT_A_DIRECTORY,
            "directory '" + shown(entry.name()) + "' exists in the target as " + (here instanceof Node.Link ? "a symbolic link" : "a file"));
      }
      if (entry.kind() != Kind.DIRECTORY && here instanceof Node.Directory) {
        throw new ArchiveException(Reason.IS_A_DIRECTORY, "entry '" + shown(entry.name()) + "' would replace a directory");
      }
    }
    for (Entry entry : entries.values()) {
      if (entry.kind() == Kind.SYMLINK) {
        resolveInside(entry);
      }
    }
  }

  /** Accepted entries in archive order. */
  List<Entry> entries() {
    return new ArrayList<>(entries.values());
  }

  long bytes() {
    return bytes;
  }

  /**
   * Walks the link's target from its directory as the kernel would, following every link met on the way
   * (this archive's, or ones already in the target), and refuses it if the walk ever leaves the target.
   * Its last component is not followed: a link to a link is judged when that one is.
   */
  private void resolveInside(Entry entry) throws ArchiveException {
    Deque<String> at = new ArrayDeque<>(entry.parts().subList(0, entry.parts().size() - 1));
    Deque<String> todo = new ArrayDeque<>(List.of(entry.link().split("/")));
    int hops = 0;
    while (!todo.isEmpty()) {
      String part = todo.removeFirst();
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (at.isEmpty()) {
          throw new ArchiveException(Reason.LINK_ESCAPES, "link '" + shown(entry.name()) + "' -> '" + shown(entry.link())
              + "' points outside the target");
        }
        at.removeLast();
        continue;
      }
      at.addLast(part);
      if (todo.stream().allMatch(p -> p.isEmpty() || p.equals("."))) {
        break;
      }
      String through = linkAt(new ArrayList<>(at));
      if (through != null) {
        if (++hops > MAX_LINK_HOPS || through.startsWith("/") || through.isEmpty()) {
          throw new ArchiveException(Reason.LINK_ESCAPES, "link '" + shown(entry.name()) + "' -> '" + shown(entry.link())
              + "' goes through '" + String.join("/", at) + "', which points " + (through.startsWith("/")
              ? "to the absolute path '" + shown(through) + "'" : "in a loop"));
        }
        at.removeLast();
        List<String> spliced = List.of(through.split("/"));
        for (int i = spliced.size() - 1; i >= 0; i--) {
          todo.addFirst(spliced.get(i));
        }
      }
    }
  }

  /** The target of the symbolic link at {@code parts} once unpacked (the archive's wins), or null. */
  private String linkAt(List<String> parts) {
    Entry entry = entries.get(String.join("/", parts));
    if (entry != null) {
      return entry.kind() == Kind.SYMLINK ? entry.link() : null;
    }
    return existing.at(parts) instanceof Node.Link link ? link.target() : null;
  }

  /** The components of a relative name, without {@code .} or empty ones. */
  private static List<String> parts(String text, String entryName, Reason absolute, Reason parent) throws ArchiveException {
    if (text.length() > MAX_PATH_CHARS) {
      throw new ArchiveException(Reason.NAME_TOO_LONG, "entry '" + shown(entryName) + "' has a name longer than "
          + MAX_PATH_CHARS + " characters");
    }
    if (text.startsWith("/")) {
      throw new ArchiveException(absolute, "entry '" + shown(entryName) + "' has the absolute path '" + shown(text) + "'");
    }
    if (text.indexOf('\0') >= 0) {
      throw new ArchiveException(Reason.MALFORMED, "entry '" + shown(entryName) + "' has a NUL byte in its name");
    }
    List<String> parts = new ArrayList<>();
    for (String part : text.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw new ArchiveException(parent, "entry '" + shown(entryName) + "' has '..' in '" + shown(text) + "'");
      }
      if (part.length() > MAX_NAME_CHARS) {
        throw new ArchiveException(Reason.NAME_TOO_LONG, "entry '" + shown(entryName) + "' has a name longer than "
            + MAX_NAME_CHARS + " characters");
      }
      parts.add(part);
    }
    return parts;
  }

  /** A name as safe to print on one line: control characters escaped, long ones cut. */
  static String shown(String name) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < name.length() && out.length() < 200; i++) {
      char c = name.charAt(i);
      out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
    }
    return out.length() < 200 ? out.toString() : out + "…";
  }
}
