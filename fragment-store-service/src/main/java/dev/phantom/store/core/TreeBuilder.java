package dev.phantom.store.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Assembles a manifest from entries given in any order, as a tar archive or a directory walk lists
 * them, with the layering rules of OCI images: a later layer replaces what an earlier one put at the
 * same path, a whiteout removes it, an opaque whiteout empties a directory of what lower layers put
 * there. Then {@link #build} hashes the directories bottom-up.
 *
 * <p>Errors are {@link IllegalArgumentException}s whose message says what is wrong with the path; the
 * importer prefixes the entry's name. Not thread-safe.
 */
public final class TreeBuilder {

  /** Receives every directory's canonical bytes and digest, children before parents. */
  public interface TreeSink {
    void accept(Digest digest, byte[] encoded);
  }

  private sealed interface Node permits DirNode, LeafNode {
    int layer();
  }

  private static final class DirNode implements Node {
    Meta meta;
    int layer;
    final Map<String, Node> children = new TreeMap<>();

    DirNode(Meta meta, int layer) {
      this.meta = meta;
      this.layer = layer;
    }

    @Override
    public int layer() {
      return layer;
    }
  }

  /** A file, symlink or hardlink; a hardlink keeps the file it named when it was added. */
  private record LeafNode(Entry entry, int layer, Entry.File linkedFile, List<String> linkedPath) implements Node {}

  private final DirNode root = new DirNode(Meta.DEFAULT_DIR, 0);
  private int layer;
  private long files;
  private long bytes;

  /** Starts the next layer: what follows overrides what came before. */
  public void nextLayer() {
    layer++;
  }

  /** Adds or updates a directory; its existing children stay. The root's own metadata is not kept. */
  public void putDir(List<String> path, Meta meta) {
    if (path.isEmpty()) {
      return;
    }
    DirNode parent = parentOf(path);
    String name = path.getLast();
    if (parent.children.get(name) instanceof DirNode existing) {
      existing.meta = meta;
      existing.layer = layer;
    } else {
      parent.children.put(name, new DirNode(meta, layer));
    }
  }

  /** Adds a regular file, replacing whatever was at the path. */
  public void putFile(List<String> path, Meta meta, long size, List<Entry.ChunkRef> chunks) {
    requireNotRoot(path);
    parentOf(path).children.put(path.getLast(),
        new LeafNode(new Entry.File(path.getLast(), meta, size, chunks), layer, null, null));
  }

  public void putSymlink(List<String> path, Meta meta, String target) {
    requireNotRoot(path);
    PathRules.checkSymlink(path, target);
    parentOf(path).children.put(path.getLast(), new LeafNode(new Entry.Symlink(path.getLast(), meta, target), layer,
        null, null));
  }

  /** A second name for the regular file at {@code target}, which must already be there. */
  public void putHardlink(List<String> path, List<String> target) {
    requireNotRoot(path);
    if (path.equals(target)) {
      throw new IllegalArgumentException("hardlink to itself");
    }
    Node node = find(target);
    Entry.File file = switch (node) {
      case LeafNode leaf when leaf.entry() instanceof Entry.File f -> f;
      case LeafNode leaf when leaf.linkedFile() != null -> leaf.linkedFile();
      case null -> throw new IllegalArgumentException("hardlink to '" + PathRules.join(target)
          + "', which is not in the image (yet)");
      default -> throw new IllegalArgumentException("hardlink to '" + PathRules.join(target)
          + "', which is not a regular file");
    };
    List<String> canonical = node instanceof LeafNode leaf && leaf.linkedPath() != null ? leaf.linkedPath() : target;
    parentOf(path).children.put(path.getLast(), new LeafNode(
        new Entry.Hardlink(path.getLast(), file.meta(), PathRules.join(canonical)), layer, file, canonical));
  }

  /** A whiteout: removes what lower layers put at {@code path}, if anything. */
  public void remove(List<String> path) {
    requireNotRoot(path);
    if (find(path.subList(0, path.size() - 1)) instanceof DirNode parent) {
      Node node = parent.children.get(path.getLast());
      if (node != null && node.layer() < layer) {
        parent.children.remove(path.getLast());
      }
    }
  }

  /** An opaque whiteout: empties {@code dir} of what lower layers put there. */
  public void clearLowerLayers(List<String> dir) {
    if (find(dir) instanceof DirNode node) {
      node.children.values().removeIf(child -> child.layer() < layer);
    }
  }

  /** Regular files (hardlinks included) and their bytes (hardlinks counted once) of the last {@link #build}. */
  public long files() {
    return files;
  }

  public long bytes() {
    return bytes;
  }

  /** Hashes every directory, hands each to {@code sink} children first, and returns the root's digest. */
  public Digest build(TreeSink sink) {
    files = 0;
    bytes = 0;
    return build(root, List.of(), sink);
  }

  private Digest build(DirNode dir, List<String> path, TreeSink sink) {
    List<Entry> entries = new ArrayList<>(dir.children.size());
    for (Map.Entry<String, Node> child : dir.children.entrySet()) {
      String name = child.getKey();
      switch (child.getValue()) {
        case DirNode sub -> {
          List<String> subPath = new ArrayList<>(path);
          subPath.add(name);
          entries.add(new Entry.Dir(name, sub.meta, build(sub, subPath, sink)));
        }
        case LeafNode leaf when leaf.entry() instanceof Entry.Hardlink link -> {
          files++;
          if (find(leaf.linkedPath()) instanceof LeafNode target && leaf.linkedFile().equals(target.entry())) {
            entries.add(link);
          } else {
            // The file it named was replaced or whited out later: keep the content under this name.
            Entry.File f = leaf.linkedFile();
            entries.add(new Entry.File(name, f.meta(), f.size(), f.chunks()));
            bytes += f.size();
          }
        }
        case LeafNode leaf -> {
          if (leaf.entry() instanceof Entry.File f) {
            files++;
            bytes += f.size();
          }
          entries.add(leaf.entry());
        }
      }
    }
    Tree tree = new Tree(entries);
    byte[] encoded = tree.encode();
    Digest digest = Digest.of(encoded);
    sink.accept(digest, encoded);
    return digest;
  }

  private Node find(List<String> path) {
    Node node = root;
    for (String part : path) {
      if (!(node instanceof DirNode dir)) {
        return null;
      }
      node = dir.children.get(part);
    }
    return node;
  }

  /** The directory that holds {@code path}, created (with default metadata) where missing. */
  private DirNode parentOf(List<String> path) {
    DirNode dir = root;
    for (int i = 0; i < path.size() - 1; i++) {
      Node next = dir.children.get(path.get(i));
      switch (next) {
        case null -> {
          DirNode created = new DirNode(Meta.DEFAULT_DIR, layer);
          dir.children.put(path.get(i), created);
          dir = created;
        }
        case DirNode sub -> dir = sub;
        case LeafNode leaf -> throw new IllegalArgumentException("'" + PathRules.join(path.subList(0, i + 1))
            + "' is a " + (leaf.entry() instanceof Entry.Symlink ? "symlink" : "file")
            + ", not a directory; nothing is written through it");
      }
    }
    return dir;
  }

  private static void requireNotRoot(List<String> path) {
    if (path.isEmpty()) {
      throw new IllegalArgumentException("the root must be a directory");
    }
  }
}
