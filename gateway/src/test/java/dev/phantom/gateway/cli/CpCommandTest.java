package dev.phantom.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.gateway.cli.CpCommand.Remote;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CpCommandTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', nullValues = "null", value = {
      "box.abc:main.py       | box.abc | main.py",
      "box.abc:              | box.abc | ''",
      "box.abc:/workspace/x  | box.abc | /workspace/x",
      "./name:with-colon     | null    | null",
      "/abs/path:x           | null    | null",
      "local.txt             | null    | null"})
  void aSandboxSideIsIdColonPathAndAnythingElseIsLocal(String text, String sandbox, String path) {
    Remote remote = Remote.parse(text);
    if (sandbox == null) {
      assertThat(remote).isNull();
    } else {
      assertThat(remote).isEqualTo(new Remote(sandbox, path));
    }
  }

  @ParameterizedTest(name = "[{index}] ''{0}''")
  @CsvSource(delimiter = '|', value = {
      "''                 | ''      | workspace | ''",
      ".                  | ''      | workspace | ''",
      "/workspace         | ''      | workspace | ''",
      "/workspace/        | ''      | workspace | ''",
      "a/./b/             | a/b     | b         | a",
      "/workspace/a/../b  | b       | b         | ''",
      "src/.              | src     | src       | ''"})
  void pathsAreNormalizedBelowTheWorkspace(String path, String relative, String name, String parent) {
    Remote remote = new Remote("box", path);
    assertThat(remote.relative()).isEqualTo(relative);
    assertThat(remote.name()).isEqualTo(name);
    assertThat(remote.parent()).isEqualTo(parent);
  }

  @ParameterizedTest
  @CsvSource({"../etc", "a/../../b", "/etc/passwd", "/workspacex"})
  void aPathThatLeavesTheWorkspaceIsRefused(String path) {
    assertThatThrownBy(() -> new Remote("box", path).relative()).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("/workspace");
  }

  @ParameterizedTest
  @CsvSource({"src/., true", "., true", "src, false", "src/, false"})
  void aTrailingDotMeansTheContents(String path, boolean contents) {
    assertThat(new Remote("box", path).contentsOnly()).isEqualTo(contents);
  }
}
