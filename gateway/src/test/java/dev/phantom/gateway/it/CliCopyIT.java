package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 'phantom cp' of files and directories both ways, by docker cp's rules, and what a sandbox cannot do through it. */
class CliCopyIT {

  private static final Duration LIMIT = Duration.ofSeconds(90);
  private static final Path HOME = LauncherProcess.HOME.resolveSibling("phantom-home-cli-copy");

  private static LauncherProcess up;
  private static Map<String, String> env;
  private static String sandbox;

  @BeforeAll
  static void startGateway() throws Exception {
    SandboxHost.assumeBubblewrap();
    up = LauncherProcess.start(HOME, "up", "--grpc-port", "0", "--http-port", "0", "--insecure-local");
    String port = up.awaitLine(Pattern.compile("gRPC 127\\.0\\.0\\.1:(\\d+)"), LIMIT);
    env = Map.of("PHANTOM_GATEWAY", "127.0.0.1:" + port);
    Result create = phantom("create", "--profile", "minimal");
    assertThat(create.code()).as("stderr: %s", create.stderr()).isZero();
    sandbox = create.stdout().strip();
  }

  @AfterAll
  static void stopGateway() throws Exception {
    if (up != null) {
      up.close();
    }
  }

  record Result(int code, String stdout, List<String> stderr) {}

  private static Result phantom(String... args) throws Exception {
    return phantomWith(Map.of(), args);
  }

  private static Result phantomWith(Map<String, String> extra, String... args) throws Exception {
    Map<String, String> all = new HashMap<>(env);
    all.putAll(extra);
    try (LauncherProcess cli = LauncherProcess.start(HOME, all, args)) {
      int code = cli.waitFor(LIMIT);
      return new Result(code, String.join("\n", cli.stdout), cli.stderr);
    }
  }

  private static void ok(Result result) {
    assertThat(result.code()).as("stderr: %s", result.stderr()).isZero();
    assertThat(result.stderr()).isEmpty();
  }

  private static List<String> remoteTree(String path) throws Exception {
    Result ls = phantom("ls", sandbox, path, "-R", "--json");
    ok(ls);
    String prefix = path + "/";
    return new JsonArray(ls.stdout()).stream().map(o -> (JsonObject) o)
        .map(f -> f.getString("path").substring(prefix.length()) + (f.getString("type").equals("directory") ? "/" : ""))
        .sorted().toList();
  }

  private static List<String> tree(Path dir) throws Exception {
    try (Stream<Path> paths = Files.walk(dir)) {
      return paths.filter(p -> !p.equals(dir))
          .map(p -> dir.relativize(p) + (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? "/" : ""))
          .sorted().toList();
    }
  }

  private static Path sourceTree(Path dir) throws Exception {
    Path src = Files.createDirectories(dir.resolve("project"));
    Files.writeString(src.resolve("run.sh"), "#!/bin/sh\necho hi\n");
    Files.setPosixFilePermissions(src.resolve("run.sh"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Path deep = Files.createDirectories(src.resolve("lib").resolve("d".repeat(120)));
    Files.writeString(deep.resolve("n".repeat(120) + ".txt"), "deep\n");
    Files.createSymbolicLink(src.resolve("start"), Path.of("run.sh"));
    return src;
  }

  @Test
  void aDirectoryGoesInAndComesBackTheSame(@TempDir Path dir) throws Exception {
    Path src = sourceTree(dir);
    String run = "r" + Long.toHexString(System.nanoTime());
    ok(phantom("cp", src.toString(), sandbox + ":" + run + "/"));      // absent: created as run/
    ok(phantom("cp", src.toString(), sandbox + ":" + run));            // exists: into it, as run/project
    ok(phantom("cp", src + "/.", sandbox + ":" + run + "/flat"));      // contents of src, into a new flat/
    List<String> expected = tree(src);
    assertThat(remoteTree(run + "/project")).isEqualTo(expected);
    assertThat(remoteTree(run + "/flat")).isEqualTo(expected);

    Result link = phantom("exec", sandbox, "--", "sh", "-c", "cd " + run + "/project && readlink start && ./start && stat -c %a run.sh");
    ok(link);
    assertThat(link.stdout()).isEqualTo("run.sh\nhi\n755");

    Path out = dir.resolve("out");
    ok(phantom("cp", sandbox + ":" + run + "/project", out.toString()));   // absent: becomes out
    assertThat(tree(out)).isEqualTo(expected);
    assertThat(Files.readSymbolicLink(out.resolve("start")).toString()).isEqualTo("run.sh");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("run.sh")))).isEqualTo("rwxr-xr-x");

    ok(phantom("cp", sandbox + ":" + run + "/flat", out.toString()));      // exists: into it, as out/flat
    assertThat(tree(out.resolve("flat"))).isEqualTo(expected);
    Path contents = Files.createDirectory(dir.resolve("contents"));
    ok(phantom("cp", sandbox + ":" + run + "/flat/.", contents.toString()));
    assertThat(tree(contents)).isEqualTo(expected);
  }

  @Test
  void aFileGoesIntoADirectoryOrBecomesThePathAsDockerCpDoes(@TempDir Path dir) throws Exception {
    String run = "f" + Long.toHexString(System.nanoTime());
    Path note = Files.writeString(dir.resolve("note.txt"), "a note\n");
    ok(phantom("exec", sandbox, "--", "mkdir", "-p", run + "/docs"));
    ok(phantom("cp", note.toString(), sandbox + ":" + run + "/docs"));
    ok(phantom("cp", note.toString(), sandbox + ":" + run + "/renamed.txt"));
    assertThat(remoteTree(run)).containsExactly("docs/", "docs/note.txt", "renamed.txt");

    Path back = Files.createDirectory(dir.resolve("back"));
    ok(phantom("cp", sandbox + ":" + run + "/renamed.txt", back.toString()));
    ok(phantom("cp", sandbox + ":" + run + "/docs/note.txt", back.resolve("other.txt").toString()));
    assertThat(Files.readString(back.resolve("renamed.txt"))).isEqualTo("a note\n");
    assertThat(Files.readString(back.resolve("other.txt"))).isEqualTo("a note\n");

    Result stdout = phantom("cp", sandbox + ":" + run + "/renamed.txt", "-");
    ok(stdout);
    assertThat(stdout.stdout()).isEqualTo("a note");
  }

  @Test
  void whatASandboxLeavesInADirectoryCannotReachOutsideTheDestination(@TempDir Path dir) throws Exception {
    String run = "t" + Long.toHexString(System.nanoTime());
    ok(phantom("exec", sandbox, "--", "sh", "-c", "mkdir -p " + run + "/abs " + run + "/up " + run + "/fifo && echo x > "
        + run + "/abs/ok && ln -s /etc/passwd " + run + "/abs/passwd && ln -s ../../../../../../tmp " + run + "/up/tmp && mkfifo "
        + run + "/fifo/pipe"));
    for (String[] trap : new String[][] {{"abs", "absolute path"}, {"up", "outside"}, {"fifo", "fifo"}}) {
      Path out = dir.resolve("out-" + trap[0]);
      Result copy = phantom("cp", sandbox + ":" + run + "/" + trap[0], out.toString());
      assertThat(copy.code()).as("%s: stderr %s", trap[0], copy.stderr()).isEqualTo(125);
      assertThat(copy.stderr()).singleElement().asString().startsWith("phantom: refused the archive of").contains(trap[1]);
      assertThat(out).as("nothing is written for %s", trap[0]).doesNotExist();
    }
  }

  @Test
  void copiesThatCannotBeDoneAreOneLine(@TempDir Path dir) throws Exception {
    Result missingLocal = phantom("cp", dir.resolve("missing").toString(), sandbox + ":x");
    assertThat(missingLocal.code()).isEqualTo(2);
    assertThat(missingLocal.stderr()).singleElement().asString().contains("no such file");

    Result missingRemote = phantom("cp", sandbox + ":no/such/thing", dir.resolve("x").toString());
    assertThat(missingRemote.code()).isEqualTo(125);
    assertThat(missingRemote.stderr()).singleElement().asString().contains("no such file");

    String run = "e" + Long.toHexString(System.nanoTime());
    ok(phantom("exec", sandbox, "--", "sh", "-c", "mkdir " + run + " && echo x > " + run + "/file"));
    Result dirOntoFile = phantom("cp", dir.toString(), sandbox + ":" + run + "/file");
    assertThat(dirOntoFile.code()).isEqualTo(2);
    assertThat(dirOntoFile.stderr()).singleElement().asString().contains("onto the file");

    Result outside = phantom("cp", sandbox + ":../etc", dir.resolve("y").toString());
    assertThat(outside.code()).isEqualTo(2);
    assertThat(outside.stderr()).singleElement().asString().contains("leaves /workspace");

    Result unknown = phantom("cp", dir.toString(), "nosuch.sandbox:x");
    assertThat(unknown.code()).isEqualTo(125);
    assertThat(unknown.stderr()).singleElement().asString().startsWith("phantom: NOT_FOUND");
  }

  @Test
  void progressNeverReachesStdoutNorAStderrThatIsNotATerminal(@TempDir Path dir) throws Exception {
    Path big = dir.resolve("big.txt");
    StringBuilder lines = new StringBuilder();
    for (int i = 0; i < 20_000; i++) {
      lines.append("line ").append(i).append('\n');
    }
    Files.writeString(big, lines);
    Result quiet = phantom("cp", big.toString(), sandbox + ":big.txt");
    ok(quiet);
    assertThat(quiet.stdout()).isEmpty();

    Result forced = phantomWith(Map.of("PHANTOM_PROGRESS", "1"), "cp", sandbox + ":big.txt", "-");
    assertThat(forced.code()).as("stderr: %s", forced.stderr()).isZero();
    assertThat((forced.stdout() + "\n").equals(lines.toString())).as("stdout is exactly the file").isTrue();
    assertThat(String.join("", forced.stderr())).doesNotContain("phantom:");
  }
}
