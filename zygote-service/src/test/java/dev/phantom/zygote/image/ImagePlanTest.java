package dev.phantom.zygote.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.store.core.Digest;
import dev.phantom.store.core.Entry;
import dev.phantom.store.core.Meta;
import dev.phantom.store.core.Tree;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ImagePlanTest {

  static final Digest A = Digest.of(new byte[] {1});
  static final Digest B = Digest.of(new byte[] {2});

  static Entry.File file(String name, int mode, int uid, Digest... chunks) {
    return new Entry.File(name, Meta.of(mode, uid, uid, 0), chunks.length * 10L,
        java.util.Arrays.stream(chunks).map(d -> new Entry.ChunkRef(d, 10)).toList());
  }

  static Map<Digest, Tree> trees(Tree root, Tree... others) {
    Map<Digest, Tree> out = new HashMap<>();
    out.put(root.digest(), root);
    for (Tree t : others) {
      out.put(t.digest(), t);
    }
    return out;
  }

  @Test
  void directoriesComeBeforeTheirEntriesAndHardlinksShareTheirTargetsKey() {
    Tree sub = new Tree(List.of(file("x", 0644, 0, A, B), new Entry.Symlink("s", Meta.of(0777, 0, 0, 0), "x")));
    Tree root = new Tree(List.of(new Entry.Dir("d", Meta.of(0755, 0, 0, 5), sub.digest()),
        new Entry.Hardlink("h", Meta.of(0644, 0, 0, 0), "d/x"), file("y", 0755, 0, A)));
    ImagePlan plan = ImagePlan.of(root.digest(), trees(root, sub), null);
    assertThat(plan.steps()).extracting(ImagePlan.Step::path).containsExactly("d", "d/s", "d/x", "y", "h");
    ImagePlan.File x = (ImagePlan.File) plan.steps().get(2);
    ImagePlan.File h = (ImagePlan.File) plan.steps().get(4);
    assertThat(h.key()).isEqualTo(x.key());
    assertThat(plan.files()).hasSize(2);
    assertThat(ImagePlan.chunks(plan.files().values())).containsExactly(A, B);
  }

  @Test
  void keysSeparateContentModeAndOwnerButNotNames() {
    FileKey one = FileKey.of(file("a", 0644, 0, A), 0, 0);
    assertThat(FileKey.of(file("b", 0644, 0, A), 0, 0).name()).isEqualTo(one.name());
    assertThat(FileKey.of(file("a", 0755, 0, A), 0, 0).name()).isNotEqualTo(one.name());
    assertThat(FileKey.of(file("a", 0644, 0, A), 1000, 0).name()).isNotEqualTo(one.name());
    assertThat(FileKey.of(file("a", 0644, 0, B), 0, 0).name()).isNotEqualTo(one.name());
    assertThat(FileKey.of(file("a", 0644, 0, A, B), 0, 0).name()).isNotEqualTo(FileKey.of(file("a", 0644, 0, B, A), 0, 0).name());
    assertThat(FileKey.of(file("s", 04755, 0, A), 0, 0).mode()).as("setuid dropped").isEqualTo(0755);
    assertThat(FileKey.of(file("s", 06755, 0, A), 0, 0).name()).isEqualTo(FileKey.of(file("t", 0755, 0, A), 0, 0).name());
    assertThat(one.relativePath()).startsWith(one.name().substring(0, 2) + "/");
  }

  @Test
  void anOwnerReplacesEveryUidAndGid() {
    Tree root = new Tree(List.of(file("f", 0600, 0, A), new Entry.Dir("d", Meta.of(0700, 5, 5, 0), Tree.EMPTY.digest())));
    ImagePlan plan = ImagePlan.of(root.digest(), trees(root, Tree.EMPTY), new NodeImages.Owner(1000, 1001));
    assertThat(plan.steps().getFirst()).isEqualTo(new ImagePlan.Dir("d", 0700, 1000, 1001, 0));
    assertThat(((ImagePlan.File) plan.steps().get(1)).key().uid()).isEqualTo(1000);
  }

  @Test
  void aMissingTreeOrADanglingHardlinkIsRefused() {
    Tree root = new Tree(List.of(new Entry.Dir("d", Meta.DEFAULT_DIR, B)));
    assertThatThrownBy(() -> ImagePlan.of(root.digest(), trees(root), null)).hasMessageContaining("lacks tree");
    Tree dangling = new Tree(List.of(new Entry.Hardlink("h", Meta.of(0644, 0, 0, 0), "nowhere")));
    assertThatThrownBy(() -> ImagePlan.of(dangling.digest(), trees(dangling), null))
        .hasMessage("hardlink /h names /nowhere, which is not a regular file of the image");
  }
}
