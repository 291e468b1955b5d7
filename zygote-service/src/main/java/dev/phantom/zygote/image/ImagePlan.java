package dev.phantom.zygote.image;

import dev.phantom.store.core.Digest;
import dev.phantom.store.core.Entry;
import dev.phantom.store.core.Meta;
import dev.phantom.store.core.Tree;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a manifest becomes on a node, computed from its verified tree nodes: every path in creation order
 * (a directory before what it holds), each regular file named by its {@link FileKey}, hardlinks resolved
 * to their target's key. Pure: no I/O.
 *
 * @param steps paths relative to the tree's root, parents first
 * @param files the distinct files the tree links to
 */
record ImagePlan(List<Step> steps, Map<String, FileKey> files) {

  sealed interface Step {
    String path();
  }

  record Dir(String path, int mode, int uid, int gid, long mtime) implements Step {}

  record File(String path, FileKey key) implements Step {}

  record Symlink(String path, String target, int uid, int gid) implements Step {}

  /**
   * @param trees every tree node of the manifest by digest (each already checked against its digest)
   * @param owner null keeps the manifest's uid/gid
   * @throws IllegalArgumentException when a tree is missing or a hardlink names no regular file
   */
  static ImagePlan of(Digest root, Map<Digest, Tree> trees, NodeImages.Owner owner) {
    List<Step> steps = new ArrayList<>();
    Map<String, Entry.File> filesByPath = new HashMap<>();
    List<Entry.Hardlink> links = new ArrayList<>();
    List<String> linkPaths = new ArrayList<>();
    walk(root, "", trees, owner, steps, filesByPath, links, linkPaths, 0);
    Map<String, FileKey> keys = new LinkedHashMap<>();
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i) instanceof File f) {
        keys.putIfAbsent(f.key().name(), f.key());
      }
    }
    for (int i = 0; i < links.size(); i++) {
      String target = links.get(i).target();
      target = target.startsWith("/") ? target.substring(1) : target;
      Entry.File file = filesByPath.get(target);
      if (file == null) {
        throw new IllegalArgumentException("hardlink /" + linkPaths.get(i) + " names /" + target
            + ", which is not a regular file of the image");
      }
      FileKey key = key(file, owner);
      keys.putIfAbsent(key.name(), key);
      steps.add(new File(linkPaths.get(i), key));
    }
    return new ImagePlan(List.copyOf(steps), keys);
  }

  /** Every chunk the plan's files need, each once, in first-use order. */
  Set<Digest> chunks(Iterable<FileKey> files) {
    Set<Digest> out = new LinkedHashSet<>();
    for (FileKey key : files) {
      key.file().chunks().forEach(c -> out.add(c.digest()));
    }
    return out;
  }

  private static void walk(Digest digest, String prefix, Map<Digest, Tree> trees, NodeImages.Owner owner,
      List<Step> steps, Map<String, Entry.File> files, List<Entry.Hardlink> links, List<String> linkPaths, int depth) {
    Tree tree = trees.get(digest);
    if (tree == null) {
      throw new IllegalArgumentException("the manifest lacks tree " + digest.shortHex() + " (at /" + prefix + ")");
    }
    if (depth > dev.phantom.store.core.PathRules.MAX_DEPTH) {
      throw new IllegalArgumentException("the manifest nests deeper than " + dev.phantom.store.core.PathRules.MAX_DEPTH);
    }
    for (Entry e : tree.entries()) {
      String path = prefix.isEmpty() ? e.name() : prefix + "/" + e.name();
      Meta m = e.meta();
      int uid = owner == null ? m.uid() : owner.uid();
      int gid = owner == null ? m.gid() : owner.gid();
      switch (e) {
        case Entry.File f -> {
          files.put(path, f);
          steps.add(new File(path, key(f, owner)));
        }
        case Entry.Dir d -> {
          steps.add(new Dir(path, m.mode(), uid, gid, m.mtime()));
          walk(d.tree(), path, trees, owner, steps, files, links, linkPaths, depth + 1);
        }
        case Entry.Symlink s -> steps.add(new Symlink(path, s.target(), uid, gid));
        case Entry.Hardlink h -> {
          links.add(h);
          linkPaths.add(path);
        }
      }
    }
  }

  private static FileKey key(Entry.File f, NodeImages.Owner owner) {
    return FileKey.of(f, owner == null ? f.meta().uid() : owner.uid(), owner == null ? f.meta().gid() : owner.gid());
  }
}
