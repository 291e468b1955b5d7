package dev.phantom.zygote.workspace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phantom.zygote.ZygoteConfig;
import dev.phantom.zygote.bwrap.BwrapLauncher;
import dev.phantom.zygote.core.WorkspaceFile;
import dev.phantom.zygote.core.ZygoteException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Workspaces made on a read-only base (a restored snapshot): real tmpfs and overlay mounts. Writes stay in
 * their own workspace; closing unmounts everything; what a crash leaves mounted goes at the next start.
 */
class OverlayWorkspaceTest {

  private Path dir;
  private Path base;
  private Path root;

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(BwrapLauncher.runningAsRoot(), "needs root: tmpfs and overlay mounts");
    dir = Files.createTempDirectory("zygote-overlay-");
    base = Files.createDirectories(dir.resolve("base"));
    Files.writeString(base.resolve("a.txt"), "from the snapshot");
    root = Files.createDirectories(dir.resolve("ws"));
  }

  @AfterEach
  void tearDown() {
    if (dir != null) {
      workspaces().removeLeftovers();
      Workspaces.deleteTree(dir);
    }
  }

  private Workspaces workspaces() {
    return new Workspaces(root, true, ZygoteConfig.DEFAULT_SANDBOX_UID, ZygoteConfig.DEFAULT_SANDBOX_GID);
  }

  @Test
  void forksShareTheBaseAndKeepTheirWritesToThemselves() throws Exception {
    Workspaces workspaces = workspaces();
    Workspaces.Workspace one = workspaces.create("one", "/workspace", 1 << 20,
        List.of(WorkspaceFile.of("b.txt", "placed".getBytes(StandardCharsets.UTF_8), 0644)), base.toString());
    Workspaces.Workspace two = workspaces.create("two", "/workspace", 1 << 20, List.of(), base.toString());
    try {
      assertThat(Files.readString(one.dir().resolve("a.txt"))).isEqualTo("from the snapshot");
      assertThat(Files.readString(one.dir().resolve("b.txt"))).isEqualTo("placed");
      assertThat(Files.getAttribute(one.dir(), "unix:uid")).isEqualTo(ZygoteConfig.DEFAULT_SANDBOX_UID);
      Files.writeString(one.dir().resolve("a.txt"), "changed in one");
      assertThat(Files.readString(two.dir().resolve("a.txt"))).isEqualTo("from the snapshot");
      assertThat(Files.readString(base.resolve("a.txt"))).isEqualTo("from the snapshot");
      assertThat(two.dir().resolve("b.txt")).doesNotExist();
      assertThat(Workspaces.mountsUnder(root)).hasSize(4); // a tmpfs and an overlay each
    } finally {
      one.close();
    }
    assertThat(Workspaces.mountsUnder(root)).hasSize(2);
    assertThat(Files.readString(two.dir().resolve("a.txt"))).isEqualTo("from the snapshot");

    // two is never closed, as when the zygote is killed: the next start unmounts and deletes it.
    assertThat(workspaces().removeLeftovers()).isEqualTo(1);
    assertThat(Workspaces.mountsUnder(root)).isEmpty();
    try (var left = Files.list(root)) {
      assertThat(left).isEmpty();
    }
    assertThat(Files.readString(base.resolve("a.txt"))).isEqualTo("from the snapshot");
  }

  @Test
  void aBaseThatCannotBeALowerDirIsRefusedAndLeavesNothing() {
    for (String bad : List.of("relative/base", dir.resolve("no-such").toString(), base + ",upperdir=/tmp")) {
      assertThatThrownBy(() -> workspaces().create("bad", "/workspace", 1 << 20, List.of(), bad))
          .isInstanceOfSatisfying(ZygoteException.class, e -> assertThat(e.reason()).isEqualTo(ZygoteException.Reason.SPAWN));
    }
    assertThat(Workspaces.mountsUnder(root)).isEmpty();
  }
}
