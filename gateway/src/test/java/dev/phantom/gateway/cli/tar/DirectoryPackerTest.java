package dev.phantom.gateway.cli.tar;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the CLI sends is what it accepts back: a tree packed and unpacked again is the same tree. */
class DirectoryPackerTest {

  @TempDir
  Path temp;

  @Test
  void aTreeWithLongNamesLinksAndModesSurvivesARoundTrip() throws Exception {
    Path source = Files.createDirectories(temp.resolve("src"));
    String longName = "n".repeat(120);
    Path deep = Files.createDirectories(source.resolve("a".repeat(150)).resolve("b".repeat(150)));
    Files.writeString(deep.resolve(longName), "deep");
    Files.writeString(source.resolve("run.sh"), "#!/bin/sh\necho hi\n");
    Files.setPosixFilePermissions(source.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-x---"));
    Files.write(source.resolve("empty"), new byte[0]);
    Files.createSymbolicLink(source.resolve("link"), Path.of("run.sh"));
    Process fifo = new ProcessBuilder("mkfifo", source.resolve("pipe").toString()).start();
    assertThat(fifo.waitFor()).isZero();

    Path tar = temp.resolve("out.tar");
    DirectoryPacker.Packed packed = DirectoryPacker.directory(source, tar, p -> { });
    assertThat(packed.skipped()).containsExactly("pipe");

    Path copy = Files.createDirectory(temp.resolve("copy"));
    SafeExtractor.Extracted extracted = SafeExtractor.extract(tar, copy, ArchiveLimits.DEFAULTS, n -> { });
    assertThat(extracted.entries()).isEqualTo(packed.entries());
    assertThat(tree(copy)).isEqualTo(tree(source).stream().filter(p -> !p.equals("pipe")).toList());
    assertThat(Files.readString(copy.resolve(source.relativize(deep)).resolve(longName))).isEqualTo("deep");
    assertThat(Files.readSymbolicLink(copy.resolve("link")).toString()).isEqualTo("run.sh");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy.resolve("run.sh")))).isEqualTo("rwxr-x---");
    assertThat(Files.size(copy.resolve("empty"))).isZero();
  }

  @Test
  void oneFileIsStoredUnderTheGivenName() throws Exception {
    Path file = Files.writeString(temp.resolve("local.txt"), "content");
    Path tar = temp.resolve("one.tar");
    DirectoryPacker.file(file, "remote.txt", tar);
    Path copy = Files.createDirectory(temp.resolve("copy"));
    SafeExtractor.extract(tar, copy, ArchiveLimits.DEFAULTS, n -> { });
    assertThat(tree(copy)).containsExactly("remote.txt");
    assertThat(Files.readString(copy.resolve("remote.txt"))).isEqualTo("content");
  }

  private static List<String> tree(Path dir) throws Exception {
    try (Stream<Path> paths = Files.walk(dir)) {
      return paths.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }
}
