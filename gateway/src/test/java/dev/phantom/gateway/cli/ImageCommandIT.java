package dev.phantom.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code phantom image} against a local store in a temp dir, run in-process as the launcher runs it. */
class ImageCommandIT {

  @TempDir
  Path dir;

  record Outcome(int code, String out, String err) {}

  Outcome phantom(String... args) {
    List<String> argv = new ArrayList<>(List.of(args));
    if (!argv.contains("--gateway")) {
      argv.add("--store-dir=" + dir.resolve("store"));
    }
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    PrintStream saved = System.err;
    System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
    try {
      CommandLine cli = new CommandLine(new ImageCommand()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
      int code = cli.execute(argv.toArray(String[]::new));
      return new Outcome(code, out.toString(), err + stderr.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(saved);
    }
  }

  @Test
  void importListRemove() throws Exception {
    Path rootfs = Files.createDirectories(dir.resolve("rootfs/usr/bin"));
    Files.writeString(rootfs.resolve("hello"), "#!/bin/sh\necho hello\n");
    Outcome imported = phantom("import", rootfs.getParent().toString(), "--name", "tiny:1");
    assertThat(imported.code()).as(imported.err()).isZero();
    assertThat(imported.out()).startsWith("tiny:1  sha256:").contains("directory: 1 files");

    Outcome listed = phantom("list");
    assertThat(listed.code()).isZero();
    assertThat(listed.out()).startsWith("tiny:1  ").contains("21 B");
    Outcome json = phantom("list", "--json");
    assertThat(json.out()).contains("\"tag\":\"tiny:1\"");

    assertThat(phantom("rm", "tiny:1").code()).isZero();
    assertThat(phantom("list").out()).isEmpty();
    Outcome gone = phantom("rm", "tiny:1");
    assertThat(gone.code()).isEqualTo(2);
    assertThat(gone.err()).isEqualTo("phantom: NOT_FOUND: no image tiny:1\n");
  }

  @Test
  void badInputIsOneLineAndExitTwo() throws Exception {
    Outcome missing = phantom("import", dir.resolve("nothing.tar").toString(), "--name", "x");
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).startsWith("phantom: INVALID_ARGUMENT: ").contains("nothing.tar").doesNotContain("\tat ");
    assertThat(missing.err().lines()).hasSize(1);

    Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
    Outcome badName = phantom("import", rootfs.toString(), "--name", "Not A Name");
    assertThat(badName.code()).isEqualTo(2);
    assertThat(badName.err()).contains("bad image name");

    Path junk = Files.write(dir.resolve("junk.tar"), "this is not a tar archive at all".repeat(40).getBytes());
    Outcome notTar = phantom("import", junk.toString(), "--name", "junk");
    assertThat(notTar.code()).isEqualTo(2);
    assertThat(notTar.err().lines()).hasSize(1);
  }

  @Test
  void aStoreHeldByAnotherProcessIsSaidSo() {
    try (ImageClient holder = ImageClient.open(null, null, dir.resolve("store"))) {
      holder.list(); // opens the data directory and holds it
      Outcome busy = phantom("list");
      assertThat(busy.code()).isEqualTo(PhantomCli.EXIT_PHANTOM_ERROR);
      assertThat(busy.err()).contains("FAILED_PRECONDITION").contains("in use").contains("--gateway");
      assertThat(busy.err().lines()).hasSize(1);
    }
  }
}
