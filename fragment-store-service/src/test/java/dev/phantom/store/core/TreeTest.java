package dev.phantom.store.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TreeTest {

  static final Digest A = Digest.of("a".getBytes(StandardCharsets.UTF_8));
  static final Digest B = Digest.of("bb".getBytes(StandardCharsets.UTF_8));

  static Tree sample() {
    Meta meta = new Meta(04755, 1000, 1000, 1_700_000_000L, List.of(new Xattr("user.k", new byte[] {1, 2})));
    return new Tree(List.of(
        new Entry.Symlink("link", Meta.of(0777, 0, 0, 5), "/usr/bin/python3"),
        new Entry.File("bin", meta, 3, List.of(new Entry.ChunkRef(A, 1), new Entry.ChunkRef(B, 2))),
        new Entry.Dir("etc", Meta.DEFAULT_DIR, Tree.EMPTY.digest()),
        new Entry.Hardlink("bin2", meta, "bin")));
  }

  @Test
  void entriesAreSortedAndTheEncodingRoundTrips() {
    Tree tree = sample();
    assertThat(tree.entries()).extracting(Entry::name).containsExactly("bin", "bin2", "etc", "link");
    byte[] bytes = tree.encode();
    assertThat(Tree.decode(bytes)).isEqualTo(tree);
    assertThat(Tree.decode(bytes).digest()).isEqualTo(tree.digest());
  }

  @Test
  void theDigestIsPinned() {
    // The encoding is a format (docs/fragment-store.md): this changes only with a new magic.
    assertThat(Tree.EMPTY.digest().hex()).isEqualTo(Digest.of(new byte[] {'P', 'F', 'T', '1', 0, 0, 0, 0}).hex());
  }

  @Test
  void anyChangeChangesTheDigest() {
    Tree tree = sample();
    List<Tree> variants = List.of(
        new Tree(tree.entries().subList(1, 4)),
        new Tree(List.of(tree.entries().get(0), tree.entries().get(1), tree.entries().get(2),
            new Entry.Symlink("link", Meta.of(0777, 0, 0, 5), "/usr/bin/python4"))),
        new Tree(List.of(new Entry.File("bin", Meta.of(0755, 1000, 1000, 1_700_000_000L), 3,
            List.of(new Entry.ChunkRef(A, 1), new Entry.ChunkRef(B, 2))), tree.entries().get(1), tree.entries().get(2),
            tree.entries().get(3))));
    for (Tree v : variants) {
      assertThat(v.digest()).isNotEqualTo(tree.digest());
    }
  }

  @Test
  void nonCanonicalOrBrokenBytesAreRefused() {
    byte[] good = sample().encode();
    assertThatThrownBy(() -> Tree.decode(java.util.Arrays.copyOf(good, good.length - 1)))
        .hasMessageContaining("truncated");
    byte[] longer = java.util.Arrays.copyOf(good, good.length + 1);
    assertThatThrownBy(() -> Tree.decode(longer)).hasMessageContaining("after the last entry");
    byte[] magic = good.clone();
    magic[3] = '2';
    assertThatThrownBy(() -> Tree.decode(magic)).hasMessageContaining("not a tree");
    // Two entries swapped: the same content, not canonical.
    Tree two = new Tree(List.of(new Entry.Symlink("a", Meta.DEFAULT_DIR, "x"), new Entry.Symlink("b", Meta.DEFAULT_DIR, "y")));
    byte[] bytes = two.encode();
    int entryLen = (bytes.length - 8) / 2;
    byte[] swapped = bytes.clone();
    System.arraycopy(bytes, 8 + entryLen, swapped, 8, entryLen);
    System.arraycopy(bytes, 8, swapped, 8 + entryLen, entryLen);
    assertThatThrownBy(() -> Tree.decode(swapped)).hasMessageContaining("canonical");
  }

  @Test
  void badEntriesAreRefused() {
    assertThatThrownBy(() -> new Tree(List.of(new Entry.Symlink("a/b", Meta.DEFAULT_DIR, "x"))))
        .hasMessageContaining("'/'");
    assertThatThrownBy(() -> new Tree(List.of(new Entry.Symlink("a", Meta.DEFAULT_DIR, "x"),
        new Entry.Symlink("a", Meta.DEFAULT_DIR, "y")))).hasMessageContaining("twice");
    assertThatThrownBy(() -> new Entry.File("f", Meta.DEFAULT_DIR, 4, List.of(new Entry.ChunkRef(A, 1))))
        .hasMessageContaining("add up to 1");
    assertThatThrownBy(() -> Meta.of(0, -1, 0, 0)).hasMessageContaining("negative");
  }

  @Test
  void digestsParseAndPrint() {
    assertThat(Digest.parse(A.hex())).isEqualTo(A);
    assertThat(A.hex()).isEqualTo("ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb");
    assertThatThrownBy(() -> Digest.parse("XYZ")).hasMessageContaining("not a digest");
    assertThatThrownBy(() -> Digest.parse(A.hex().toUpperCase())).hasMessageContaining("not a digest");
  }
}
