package dev.phantom.store.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TreeBuilderTest {

  final Map<Digest, Tree> trees = new HashMap<>();

  static List<String> p(String path) {
    return PathRules.entryPath(path);
  }

  static List<Entry.ChunkRef> content(String s) {
    byte[] b = s.getBytes();
    return List.of(new Entry.ChunkRef(Digest.of(b), b.length));
  }

  void file(TreeBuilder b, String path, String text) {
    b.putFile(p(path), Meta.of(0644, 0, 0, 0), text.length(), content(text));
  }

  Tree build(TreeBuilder b) {
    Digest root = b.build((d, bytes) -> trees.put(d, Tree.decode(bytes)));
    return trees.get(root);
  }

  Entry at(Tree root, String path) {
    Tree tree = root;
    List<String> parts = p(path);
    Entry found = null;
    for (String part : parts) {
      found = tree.entries().stream().filter(e -> e.name().equals(part)).findFirst().orElse(null);
      if (found == null) {
        return null;
      }
      if (found instanceof Entry.Dir dir) {
        tree = trees.get(dir.tree());
      }
    }
    return found;
  }

  @Test
  void missingParentsGetDefaultsAndALaterDirEntryKeepsItsChildren() {
    TreeBuilder b = new TreeBuilder();
    file(b, "usr/bin/ls", "ls");
    b.putDir(p("usr"), Meta.of(0750, 0, 0, 9));
    Tree root = build(b);
    assertThat(at(root, "usr").meta()).isEqualTo(Meta.of(0750, 0, 0, 9));
    assertThat(at(root, "usr/bin").meta()).isEqualTo(Meta.DEFAULT_DIR);
    assertThat(at(root, "usr/bin/ls")).isInstanceOf(Entry.File.class);
  }

  @Test
  void sameEntriesInAnotherOrderGiveTheSameDigest() {
    TreeBuilder one = new TreeBuilder();
    file(one, "a/x", "1");
    file(one, "b/y", "2");
    TreeBuilder two = new TreeBuilder();
    file(two, "b/y", "2");
    file(two, "a/x", "1");
    assertThat(one.build((d, x) -> { })).isEqualTo(two.build((d, x) -> { }));
  }

  @Test
  void whiteoutsRemoveLowerLayersOnly() {
    TreeBuilder b = new TreeBuilder();
    file(b, "etc/a", "a");
    file(b, "etc/b", "b");
    file(b, "var/old", "o");
    file(b, "var/keep/k", "k");
    b.nextLayer();
    b.remove(p("etc/a"));
    file(b, "var/new", "n");
    b.clearLowerLayers(p("var"));
    b.remove(p("not/there"));
    Tree root = build(b);
    assertThat(at(root, "etc/a")).isNull();
    assertThat(at(root, "etc/b")).isNotNull();
    assertThat(at(root, "var/old")).isNull();
    assertThat(at(root, "var/keep")).isNull();
    assertThat(at(root, "var/new")).isNotNull();
    // Counted over the final tree: etc/b and var/new.
    assertThat(b.files()).isEqualTo(2);
    assertThat(b.bytes()).isEqualTo(2);
  }

  @Test
  void hardlinksNameAnEarlierFileAndSurviveItsRemoval() {
    TreeBuilder b = new TreeBuilder();
    file(b, "bin/a", "content");
    b.putHardlink(p("bin/b"), p("bin/a"));
    b.putHardlink(p("bin/c"), p("bin/b"));
    Tree root = build(b);
    assertThat(at(root, "bin/b")).isEqualTo(new Entry.Hardlink("b", Meta.of(0644, 0, 0, 0), "bin/a"));
    assertThat(at(root, "bin/c")).isEqualTo(new Entry.Hardlink("c", Meta.of(0644, 0, 0, 0), "bin/a"));

    b.nextLayer();
    b.remove(p("bin/a"));
    root = build(b);
    assertThat(at(root, "bin/b")).isInstanceOf(Entry.File.class);
    assertThat(((Entry.File) at(root, "bin/b")).chunks()).isEqualTo(content("content"));
    assertThat(b.files()).isEqualTo(2); // b and c each keep the content (the same chunks)
    assertThat(b.bytes()).isEqualTo(2 * "content".length());

    assertThatThrownBy(() -> b.putHardlink(p("x"), p("nothing"))).hasMessageContaining("not in the image");
    assertThatThrownBy(() -> b.putHardlink(p("x"), p("bin"))).hasMessageContaining("not a regular file");
  }

  @Test
  void nothingIsWrittenThroughASymlinkOrAFile() {
    TreeBuilder b = new TreeBuilder();
    b.putSymlink(p("etc"), Meta.of(0777, 0, 0, 0), "/host/etc");
    assertThatThrownBy(() -> file(b, "etc/passwd", "x")).hasMessageContaining("'etc' is a symlink");
    file(b, "f", "x");
    assertThatThrownBy(() -> file(b, "f/g", "x")).hasMessageContaining("'f' is a file");
    assertThatThrownBy(() -> b.putSymlink(p("lib"), Meta.of(0777, 0, 0, 0), "../../etc"))
        .hasMessageContaining("outside the root");
  }
}
