package dev.phantom.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class WorkspacePathsTest {

  @ParameterizedTest
  @CsvSource({
      "main.py, main.py",
      "src/app/main.py, src/app/main.py",
      "./a//b/./c, a/b/c",
      "/workspace/a.txt, a.txt",
      "/workspace//deep/../x, x",
      "a/b/../c, a/c",
  })
  void pathsInsideTheWorkspaceAreNormalized(String given, String expected) {
    assertThat(WorkspacePaths.relative(given)).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {"../x", "a/../../x", "/etc/passwd", "/workspacex/a", "/workspace/..", "..", "/", "",
      "  ", "/workspace", ".", "a/.."})
  void pathsThatLeaveOrDoNotNameAFileAreRefused(String given) {
    assertThatThrownBy(() -> WorkspacePaths.relative(given)).isInstanceOf(IllegalArgumentException.class);
  }

  @org.junit.jupiter.api.Test
  void nulBytesAndHugeNamesAreRefused() {
    assertThatThrownBy(() -> WorkspacePaths.relative("a\0b")).hasMessageContaining("NUL");
    assertThatThrownBy(() -> WorkspacePaths.relative("x".repeat(256))).hasMessageContaining("longer than 255");
  }
}
