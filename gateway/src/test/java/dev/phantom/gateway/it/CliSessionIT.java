package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.json.JsonArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The session CLI (create, cp, exec, ls, rm, list, destroy) against a 'phantom up' gateway. */
class CliSessionIT {

  private static final Duration LIMIT = Duration.ofSeconds(90);
  private static final Path HOME = LauncherProcess.HOME.resolveSibling("phantom-home-cli-session");

  private static LauncherProcess up;
  private static Map<String, String> env;

  @BeforeAll
  static void startGateway() throws Exception {
    SandboxHost.assumeBubblewrap();
    up = LauncherProcess.start(HOME, "up", "--grpc-port", "0", "--http-port", "0", "--insecure-local");
    String port = up.awaitLine(Pattern.compile("gRPC 127\\.0\\.0\\.1:(\\d+)"), LIMIT);
    env = Map.of("PHANTOM_GATEWAY", "127.0.0.1:" + port);
  }

  @AfterAll
  static void stopGateway() throws Exception {
    if (up != null) {
      up.close();
    }
  }

  private static Result phantom(String... args) throws Exception {
    try (LauncherProcess cli = LauncherProcess.start(HOME, env, args)) {
      int code = cli.waitFor(LIMIT);
      return new Result(code, String.join("\n", cli.stdout), cli.stderr);
    }
  }

  record Result(int code, String stdout, java.util.List<String> stderr) {}

  @Test
  void aSessionLivesFromCreateToDestroy(@TempDir Path dir) throws Exception {
    Result create = phantom("create", "--profile", "minimal", "--ttl", "5m", "--label", "suite=cli-session");
    assertThat(create.code()).as("stderr: %s", create.stderr()).isZero();
    String id = create.stdout().strip();
    assertThat(id).isNotBlank().doesNotContain("\n");

    Path local = dir.resolve("note.txt");
    Files.writeString(local, "from the host\n");
    Result in = phantom("cp", local.toString(), id + ":notes/note.txt");
    assertThat(in.code()).as("stderr: %s", in.stderr()).isZero();

    Result cat = phantom("exec", id, "--", "cat", "notes/note.txt");
    assertThat(cat.code()).as("stderr: %s", cat.stderr()).isZero();
    assertThat(cat.stdout()).isEqualTo("from the host");

    assertThat(phantom("exec", id, "--", "sh", "-c", "echo oops >&2; exit 3").code()).isEqualTo(3);

    Result ls = phantom("ls", id, "notes", "--json");
    assertThat(ls.code()).as("stderr: %s", ls.stderr()).isZero();
    JsonArray files = new JsonArray(ls.stdout());
    assertThat(files).hasSize(1);
    assertThat(files.getJsonObject(0).getString("path")).endsWith("note.txt");
    assertThat(files.getJsonObject(0).getLong("size")).isEqualTo(14L);

    Path back = dir.resolve("back.txt");
    Result out = phantom("cp", id + ":notes/note.txt", back.toString());
    assertThat(out.code()).as("stderr: %s", out.stderr()).isZero();
    assertThat(Files.readString(back)).isEqualTo("from the host\n");

    Result rm = phantom("rm", id, "notes/note.txt");
    assertThat(rm.code()).as("stderr: %s", rm.stderr()).isZero();
    assertThat(new JsonArray(phantom("ls", id, "notes", "--json").stdout())).isEmpty();

    Result list = phantom("list", "--label", "suite=cli-session", "--json");
    assertThat(list.code()).as("stderr: %s", list.stderr()).isZero();
    assertThat(new JsonArray(list.stdout()).stream().map(o -> ((io.vertx.core.json.JsonObject) o).getString("id")))
        .contains(id);

    Result destroy = phantom("destroy", id);
    assertThat(destroy.code()).as("stderr: %s", destroy.stderr()).isZero();

    Result gone = phantom("exec", id, "--", "true");
    assertThat(gone.code()).isNotZero().isNotEqualTo(2);
    assertThat(gone.stderr()).hasSize(1);
    assertThat(gone.stderr().getFirst()).startsWith("phantom: ").contains(id);
  }

  @Test
  void withoutAGatewayTheSessionCommandsSayHowToStartOne() throws Exception {
    try (LauncherProcess cli = LauncherProcess.start(HOME, "create", "--profile", "minimal")) {
      assertThat(cli.waitFor(LIMIT)).isEqualTo(2);
      assertThat(cli.stderr).singleElement().asString().contains("phantom up", "PHANTOM_GATEWAY");
    }
  }

  @Test
  void anUnreachableGatewayIsUnavailable() throws Exception {
    try (LauncherProcess cli = LauncherProcess.start(HOME, Map.of("PHANTOM_GATEWAY", "127.0.0.1:1"), "list")) {
      assertThat(cli.waitFor(LIMIT)).isEqualTo(69);
      assertThat(cli.stderr).singleElement().asString().startsWith("phantom: ");
    }
  }
}
