package dev.phantom.gateway.cli.tar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.gateway.cli.tar.ArchiveException.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each attack a sandbox could put in a tar, built byte by byte, against the real file system: the
 * archive is refused as a whole, nothing is written in the target, and nothing outside it changes.
 */
class SafeExtractorTest {

  @TempDir
  Path temp;

  Path target;
  Path outside;
  Path victim;

  @BeforeEach
  void layout() throws IOException {
    target = Files.createDirectory(temp.resolve("target"));
    outside = Files.createDirectory(temp.resolve("outside"));
    victim = Files.writeString(outside.resolve("victim"), "untouched");
  }

  private ArchiveException refused(RawTar tar, Reason reason) throws IOException {
    Path archive = tar.writeTo(temp.resolve("in.tar"));
    ArchiveException refusal = (ArchiveException) org.assertj.core.api.Assertions.catchThrowable(
        () -> SafeExtractor.extract(archive, target, ArchiveLimits.DEFAULTS, n -> { }));
    assertThat(refusal).as("refusal").isNotNull();
    assertThat(refusal.reason()).as(refusal.getMessage()).isEqualTo(reason);
    assertThat(tree(target)).as("written in the target").isEmpty();
    assertThat(tree(outside)).containsExactly("victim");
    assertThat(Files.readString(victim)).isEqualTo("untouched");
    return refusal;
  }

  private static List<String> tree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      return paths.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }

  @Test
  void aNameWithDotDotIsRefused() throws IOException {
    refused(new RawTar().file("ok", "fine").file("../outside/victim", "pwned"), Reason.PARENT_REFERENCE);
    refused(new RawTar().file("a/../../outside/new", "pwned"), Reason.PARENT_REFERENCE);
  }

  @Test
  void anAbsoluteNameIsRefused() throws IOException {
    refused(new RawTar().file(victim.toString(), "pwned"), Reason.ABSOLUTE_PATH);
  }

  @Test
  void aSymbolicLinkPointingOutsideIsRefused() throws IOException {
    refused(new RawTar().symlink("up", "../outside"), Reason.LINK_ESCAPES);
    refused(new RawTar().dir("a").symlink("a/up", "../../outside/victim"), Reason.LINK_ESCAPES);
    refused(new RawTar().symlink("abs", outside.toString()), Reason.LINK_ESCAPES);
  }

  @Test
  void aLinkThatEscapesThroughAnotherLinkIsRefused() throws IOException {
    // Each looks inside on its own: 'here' is the target, and 'here/..' names the target's parent.
    refused(new RawTar().symlink("here", ".").symlink("escape", "here/.."), Reason.LINK_ESCAPES);
    refused(new RawTar().dir("d").symlink("d/self", "..").symlink("x", "d/self/../outside"), Reason.LINK_ESCAPES);
    refused(new RawTar().symlink("a", "b").symlink("b", "a").symlink("c", "a/x"), Reason.LINK_ESCAPES);
  }

  @Test
  void aFileWrittenThroughALinkOfTheArchiveIsRefused() throws IOException {
    refused(new RawTar().symlink("out", "../outside").file("out/victim", "pwned"), Reason.THROUGH_LINK);
    refused(new RawTar().file("out/victim", "pwned").symlink("out", "../outside"), Reason.THROUGH_LINK);
    // Even a link that stays inside is never written through.
    refused(new RawTar().dir("real").symlink("alias", "real").file("alias/file", "x"), Reason.THROUGH_LINK);
  }

  @Test
  void aFileWrittenThroughALinkAlreadyInTheTargetIsRefused() throws IOException {
    Files.createSymbolicLink(target.resolve("shared"), outside);
    Path archive = new RawTar().file("shared/victim", "pwned").file("shared/new", "pwned").writeTo(temp.resolve("in.tar"));
    assertThatThrownBy(() -> SafeExtractor.extract(archive, target, ArchiveLimits.DEFAULTS, n -> { }))
        .isInstanceOfSatisfying(ArchiveException.class, e -> assertThat(e.reason()).isEqualTo(Reason.THROUGH_LINK));
    assertThat(Files.readString(victim)).isEqualTo("untouched");
    assertThat(tree(outside)).containsExactly("victim");
  }

  @Test
  void aFileReplacesALinkAtItsPathInsteadOfFollowingIt() throws Exception {
    Files.createSymbolicLink(target.resolve("note"), victim);
    Path archive = new RawTar().file("note", "new content").writeTo(temp.resolve("in.tar"));
    SafeExtractor.extract(archive, target, ArchiveLimits.DEFAULTS, n -> { });
    assertThat(Files.isSymbolicLink(target.resolve("note"))).isFalse();
    assertThat(Files.readString(target.resolve("note"))).isEqualTo("new content");
    assertThat(Files.readString(victim)).isEqualTo("untouched");
  }

  @Test
  void aHardLinkToAnythingButAnEarlierFileOfTheArchiveIsRefused() throws IOException {
    refused(new RawTar().hardLink("passwd", "/etc/passwd"), Reason.LINK_ESCAPES);
    refused(new RawTar().hardLink("passwd", "../../../../etc/passwd"), Reason.LINK_ESCAPES);
    refused(new RawTar().hardLink("passwd", "etc/passwd"), Reason.LINK_ESCAPES);
    refused(new RawTar().dir("d").hardLink("h", "d"), Reason.LINK_ESCAPES);
  }

  @Test
  void devicesAndFifosAreRefused() throws IOException {
    assertThat(refused(new RawTar().special("null", '3'), Reason.SPECIAL_FILE)).hasMessageContaining("character device");
    refused(new RawTar().special("disk", '4'), Reason.SPECIAL_FILE);
    refused(new RawTar().file("first", "x").special("pipe", '6'), Reason.SPECIAL_FILE);
  }

  @Test
  void aSizeClaimAboveTheLimitIsRefusedBeforeAnythingIsRead() throws IOException {
    refused(new RawTar().lyingFile("huge", 4L << 30, "tiny"), Reason.TOO_LARGE);
  }

  @Test
  void aSizeClaimTheDataDoesNotBackFailsAndWritesNothing() throws IOException {
    Path archive = new RawTar().file("first", "x").lyingFile("short", 1 << 20, "tiny").writeTo(temp.resolve("in.tar"));
    assertThatThrownBy(() -> SafeExtractor.extract(archive, target, ArchiveLimits.DEFAULTS, n -> { }))
        .isInstanceOfAny(IOException.class, ArchiveException.class);
    assertThat(tree(target)).isEmpty();
  }

  @Test
  void totalsAboveTheLimitsAreRefused() throws IOException {
    Path archive = new RawTar().file("a", "12345").file("b", "67890").writeTo(temp.resolve("in.tar"));
    assertThatThrownBy(() -> SafeExtractor.extract(archive, target, new ArchiveLimits(8, 100), n -> { }))
        .isInstanceOfSatisfying(ArchiveException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE));
    assertThatThrownBy(() -> SafeExtractor.extract(archive, target, new ArchiveLimits(100, 1), n -> { }))
        .isInstanceOfSatisfying(ArchiveException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TOO_MANY_ENTRIES));
    assertThat(tree(target)).isEmpty();
  }

  @Test
  void aDuplicateOrAReplacedDirectoryIsRefused() throws IOException {
    refused(new RawTar().file("a", "1").file("./a", "2"), Reason.DUPLICATE);
    Files.createDirectory(target.resolve("dir"));
    Path archive = new RawTar().file("dir", "not a dir").writeTo(temp.resolve("in.tar"));
    assertThatThrownBy(() -> SafeExtractor.extract(archive, target, ArchiveLimits.DEFAULTS, n -> { }))
        .isInstanceOfSatisfying(ArchiveException.class, e -> assertThat(e.reason()).isEqualTo(Reason.IS_A_DIRECTORY));
  }

  @Test
  void controlCharactersInNamesAreEscapedInTheMessage() throws IOException {
    ArchiveException refusal = refused(new RawTar().file("../\033[2Jx", "x"), Reason.PARENT_REFERENCE);
    assertThat(refusal.getMessage()).contains("\\x1b[2Jx").doesNotContain("\033");
  }

  @Test
  void anOrdinaryTreeIsUnpackedWithModesTimesAndLinksInside() throws Exception {
    Path archive = new RawTar()
        .dir("./")
        .dir("./pkg/")
        .dir("./pkg/bin/")
        .file("./pkg/bin/tool", "#!/bin/sh\n", 04755)
        .dir("./node_modules/.bin/")
        .symlink("./node_modules/.bin/tool", "../../pkg/bin/tool")
        .symlink("./dangling", "does/not/exist")
        .hardLink("./pkg/tool-again", "./pkg/bin/tool")
        .file("./readme", "hello", 0600)
        .writeTo(temp.resolve("in.tar"));
    SafeExtractor.Extracted done = SafeExtractor.extract(archive, target, ArchiveLimits.DEFAULTS, n -> { });

    assertThat(done.entries()).isEqualTo(8);
    assertThat(tree(target)).containsExactly("dangling", "node_modules", "node_modules/.bin", "node_modules/.bin/tool",
        "pkg", "pkg/bin", "pkg/bin/tool", "pkg/tool-again", "readme");
    assertThat(Files.readString(target.resolve("node_modules/.bin/tool"))).isEqualTo("#!/bin/sh\n");
    assertThat(Files.readSymbolicLink(target.resolve("node_modules/.bin/tool")).toString()).isEqualTo("../../pkg/bin/tool");
    assertThat(Files.readString(target.resolve("pkg/tool-again"))).isEqualTo("#!/bin/sh\n");
    // setuid from a sandbox is dropped; permission bits are kept.
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("pkg/bin/tool")))).isEqualTo("rwxr-xr-x");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("readme")))).isEqualTo("rw-------");
    assertThat(Files.getLastModifiedTime(target.resolve("readme"), LinkOption.NOFOLLOW_LINKS).toMillis())
        .isEqualTo(1_700_000_000_000L);
    assertThat(done.bytes()).isEqualTo(10 + 5);
  }
}
