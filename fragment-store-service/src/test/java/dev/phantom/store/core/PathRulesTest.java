package dev.phantom.store.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PathRulesTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "usr/bin/ls|usr,bin,ls",
      "./usr/bin/|usr,bin",
      "./|''",
      ".|''",
      "a//b/./c|a,b,c",
      "etc/.wh..wh..opq|etc,.wh..wh..opq",
  })
  void entryPathsAreCleaned(String raw, String expected) {
    List<String> want = expected.isEmpty() ? List.of() : List.of(expected.split(","));
    assertThat(PathRules.entryPath(raw)).isEqualTo(want);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "/etc/passwd|absolute",
      "../etc/passwd|'..'",
      "usr/../../etc|'..'",
      "a/..|'..'",
  })
  void escapingPathsAreRefused(String raw, String reason) {
    assertThatThrownBy(() -> PathRules.entryPath(raw)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(reason);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "usr/bin/python|python3.11|true",
      "usr/bin/python|/usr/bin/python3.11|true",
      "usr/lib/x|../../etc/passwd|true",
      "usr/lib/x|../../../etc/passwd|false",
      "lib|../etc|false",
      "a/b|./../../x|false",
      "a/b|c/../../x|true",
  })
  void relativeSymlinksStayInside(String link, String target, boolean ok) {
    List<String> path = PathRules.entryPath(link);
    if (ok) {
      PathRules.checkSymlink(path, target);
    } else {
      assertThatThrownBy(() -> PathRules.checkSymlink(path, target)).hasMessageContaining("outside the root");
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"''|empty", ".|'.'", "..|'..'", "a/b|'/'"})
  void badNames(String name, String reason) {
    assertThat(PathRules.nameProblem(name)).contains(reason.replace("'", ""));
  }
}
