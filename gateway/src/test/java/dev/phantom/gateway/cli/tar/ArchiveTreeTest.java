package dev.phantom.gateway.cli.tar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.phantom.gateway.cli.tar.ArchiveException.Reason;
import dev.phantom.gateway.cli.tar.ArchiveTree.Kind;
import dev.phantom.gateway.cli.tar.ArchiveTree.Node;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The judgement of a whole archive, without a file system: entries in, the first refusal (or none) out. */
class ArchiveTreeTest {

  record E(String name, Kind kind, String link) {
    static E dir(String name) {
      return new E(name, Kind.DIRECTORY, null);
    }

    static E file(String name) {
      return new E(name, Kind.FILE, null);
    }

    static E sym(String name, String to) {
      return new E(name, Kind.SYMLINK, to);
    }

    static E hard(String name, String to) {
      return new E(name, Kind.HARDLINK, to);
    }
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of("plain tree", List.of(E.dir("./"), E.dir("./a/"), E.file("./a/b")), Map.of(), null),
        Arguments.of("link to a sibling", List.of(E.file("x"), E.sym("y", "x")), Map.of(), null),
        Arguments.of("link up and back down", List.of(E.dir("a"), E.dir("b"), E.sym("a/l", "../b/f")), Map.of(), null),
        Arguments.of("link through a link inside", List.of(E.dir("d"), E.sym("l", "d"), E.sym("m", "l/x")), Map.of(), null),
        Arguments.of("hard link to an earlier file", List.of(E.file("f"), E.hard("g", "./f")), Map.of(), null),
        Arguments.of("absolute name", List.of(E.file("/etc/x")), Map.of(), Reason.ABSOLUTE_PATH),
        Arguments.of("dot-dot in the middle", List.of(E.file("a/../../x")), Map.of(), Reason.PARENT_REFERENCE),
        Arguments.of("a name too long", List.of(E.file("n".repeat(256))), Map.of(), Reason.NAME_TOO_LONG),
        Arguments.of("link out of the target", List.of(E.sym("l", "..")), Map.of(), Reason.LINK_ESCAPES),
        Arguments.of("absolute link", List.of(E.sym("l", "/")), Map.of(), Reason.LINK_ESCAPES),
        Arguments.of("link out through a link", List.of(E.sym("h", "."), E.sym("l", "h/..")), Map.of(), Reason.LINK_ESCAPES),
        Arguments.of("link out through one already there", List.of(E.sym("l", "old/x")), Map.of("old", "/etc"), Reason.LINK_ESCAPES),
        Arguments.of("link loop", List.of(E.sym("a", "b"), E.sym("b", "a"), E.sym("c", "a/x")), Map.of(), Reason.LINK_ESCAPES),
        Arguments.of("hard link to a later file", List.of(E.hard("g", "f"), E.file("f")), Map.of(), Reason.LINK_ESCAPES),
        Arguments.of("file through a link of the archive", List.of(E.dir("d"), E.sym("l", "d"), E.file("l/f")), Map.of(),
            Reason.THROUGH_LINK),
        Arguments.of("file through a link already there", List.of(E.file("old/f")), Map.of("old", "elsewhere"), Reason.THROUGH_LINK),
        Arguments.of("file under a file", List.of(E.file("f"), E.file("f/g")), Map.of(), Reason.NOT_A_DIRECTORY),
        Arguments.of("directory over a link already there", List.of(E.dir("old")), Map.of("old", "x"), Reason.THROUGH_LINK),
        Arguments.of("twice the same path", List.of(E.file("a"), E.file("./a")), Map.of(), Reason.DUPLICATE),
        Arguments.of("root as a file", List.of(E.file("./")), Map.of(), Reason.MALFORMED));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void judges(String what, List<E> entries, Map<String, String> linksThere, Reason refusal) {
    ArchiveTree tree = new ArchiveTree(ArchiveLimits.DEFAULTS, parts -> {
      String link = linksThere.get(String.join("/", parts));
      return link != null ? new Node.Link(link) : new Node.Absent();
    });
    ArchiveException thrown = catchThrowableOfType(ArchiveException.class, () -> {
      for (E e : entries) {
        tree.add(e.name(), e.kind(), null, e.link(), 0, 0644, 0);
      }
      tree.finish();
    });
    if (refusal == null) {
      assertThat(thrown).as("%s", thrown == null ? "" : thrown.getMessage()).isNull();
    } else {
      assertThat(thrown).as(what).isNotNull();
      assertThat(thrown.reason()).as(thrown.getMessage()).isEqualTo(refusal);
    }
  }
}
