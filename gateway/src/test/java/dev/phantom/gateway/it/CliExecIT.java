package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** 'phantom exec' as a user at a terminal meets it: Ctrl-C reaches the command, twice gives up; --json for scripts. */
class CliExecIT {

  private static final Duration LIMIT = Duration.ofSeconds(90);
  private static final Path HOME = LauncherProcess.HOME.resolveSibling("phantom-home-cli-exec");

  private static LauncherProcess up;
  private static Map<String, String> env;
  private static String sandbox;

  @BeforeAll
  static void startGateway() throws Exception {
    SandboxHost.assumeBubblewrap();
    up = LauncherProcess.start(HOME, "up", "--grpc-port", "0", "--http-port", "0", "--insecure-local");
    String port = up.awaitLine(Pattern.compile("gRPC 127\\.0\\.0\\.1:(\\d+)"), LIMIT);
    env = Map.of("PHANTOM_GATEWAY", "127.0.0.1:" + port);
    try (LauncherProcess create = LauncherProcess.start(HOME, env, "create", "--profile", "minimal", "--json")) {
      assertThat(create.waitFor(LIMIT)).as("stderr: %s", create.stderr).isZero();
      JsonObject created = new JsonObject(String.join("", create.stdout));
      assertThat(created.getString("state")).isEqualTo("ready");
      assertThat(created.getString("profile")).isEqualTo("minimal");
      sandbox = created.getString("id");
    }
  }

  @AfterAll
  static void stopGateway() throws Exception {
    if (up != null) {
      up.close();
    }
  }

  @Test
  void ctrlCIsSentToTheCommandWhichMayTrapIt() throws Exception {
    try (LauncherProcess exec = LauncherProcess.startInterruptible(HOME, env, "exec", sandbox, "--",
        "sh", "-c", "trap 'echo got-int; exit 7' INT; echo ready; while :; do sleep 0.1; done")) {
      exec.awaitLine(Pattern.compile("^ready$"), LIMIT);
      exec.signal("INT");
      assertThat(exec.waitFor(LIMIT)).as("stderr: %s", exec.stderr).isEqualTo(7);
      assertThat(exec.stdout).containsExactly("ready", "got-int");
      assertThat(exec.stderr).isEmpty();
    }
  }

  @Test
  void aCommandThatDoesNotTrapItEndsAsKilledBySigint() throws Exception {
    try (LauncherProcess exec = LauncherProcess.startInterruptible(HOME, env, "exec", sandbox, "--",
        "sh", "-c", "echo ready; exec sleep 60")) {
      exec.awaitLine(Pattern.compile("^ready$"), LIMIT);
      exec.signal("INT");
      assertThat(exec.waitFor(LIMIT)).as("stderr: %s", exec.stderr).isEqualTo(130);
      assertThat(exec.stderr).isEmpty();
    }
  }

  @Test
  void aSecondCtrlCWithinASecondGivesUpAndKillsTheCommand() throws Exception {
    String marker = "marker-" + Long.toHexString(System.nanoTime());
    try (LauncherProcess exec = LauncherProcess.startInterruptible(HOME, env, "exec", sandbox, "--",
        "sh", "-c", "trap 'echo ignoring' INT; echo ready; while :; do sleep 0.1; done # " + marker)) {
      exec.awaitLine(Pattern.compile("^ready$"), LIMIT);
      exec.signal("INT");
      Thread.sleep(100);
      exec.signal("INT");
      assertThat(exec.waitFor(LIMIT)).as("stdout: %s, stderr: %s", exec.stdout, exec.stderr).isEqualTo(130);
      assertThat(exec.stderr).singleElement().asString().startsWith("phantom: ").contains("interrupted");
    }
    // Giving up cancels the call, and the gateway kills the command's process group.
    long deadline = System.nanoTime() + LIMIT.toNanos();
    List<String> left;
    do {
      Thread.sleep(200);
      left = processesMentioning(marker);
    } while (!left.isEmpty() && System.nanoTime() < deadline);
    assertThat(left).isEmpty();
  }

  private static List<String> processesMentioning(String marker) throws Exception {
    try (LauncherProcess ps = LauncherProcess.start(HOME, env, "exec", sandbox, "--", "ps", "-eo", "args")) {
      assertThat(ps.waitFor(LIMIT)).as("stderr: %s", ps.stderr).isZero();
      return ps.stdout.stream().filter(line -> line.contains(marker)).toList();
    }
  }

  @Test
  void jsonGivesScriptsTheWholeResultAndKeepsTheExitCode() throws Exception {
    try (LauncherProcess exec = LauncherProcess.start(HOME, env, "exec", sandbox, "--json", "--",
        "sh", "-c", "echo out; echo err >&2; exit 4")) {
      assertThat(exec.waitFor(LIMIT)).as("stderr: %s", exec.stderr).isEqualTo(4);
      assertThat(exec.stdout).hasSize(1);
      JsonObject result = new JsonObject(exec.stdout.getFirst());
      assertThat(result.getString("status")).isEqualTo("ok");
      assertThat(result.getInteger("exitCode")).isEqualTo(4);
      assertThat(result.getString("stdout")).isEqualTo("out\n");
      assertThat(result.getString("stderr")).isEqualTo("err\n");
      assertThat(result.getJsonObject("timings").getLong("totalMicros")).isPositive();
      assertThat(exec.stderr).isEmpty();
    }
  }

  @Test
  void runTakesTheSameJson() throws Exception {
    try (LauncherProcess run = LauncherProcess.start(HOME, env, "run", "--profile", "minimal", "--json", "--",
        "sh", "-c", "printf 'two\\nlines'; exit 3")) {
      assertThat(run.waitFor(LIMIT)).as("stderr: %s", run.stderr).isEqualTo(3);
      assertThat(run.stdout).hasSize(1);
      JsonObject result = new JsonObject(run.stdout.getFirst());
      assertThat(result.getString("status")).isEqualTo("ok");
      assertThat(result.getInteger("exitCode")).isEqualTo(3);
      assertThat(result.getString("stdout")).isEqualTo("two\nlines");
      assertThat(run.stderr).isEmpty();
    }
  }

  @Test
  void anExecThatFailsIsOneLine() throws Exception {
    try (LauncherProcess exec = LauncherProcess.start(HOME, env, "exec", "nosuch.sandbox", "--", "true")) {
      assertThat(exec.waitFor(LIMIT)).isEqualTo(125);
      assertThat(exec.stderr).singleElement().asString().startsWith("phantom: NOT_FOUND");
    }
  }
}
