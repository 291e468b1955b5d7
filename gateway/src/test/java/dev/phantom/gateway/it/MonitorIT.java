package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.support.testing.SandboxHost;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code phantom monitor --once} against a real {@code phantom up}, after one run. */
class MonitorIT {

  private static final Duration LIMIT = Duration.ofSeconds(120);
  private static final Path HOME = LauncherProcess.HOME.resolveSibling("phantom-home-monitor");
  private static LauncherProcess up;
  private static String grpc;
  private static String http;

  @BeforeAll
  static void startGateway() throws Exception {
    SandboxHost.assumeBubblewrap();
    up = LauncherProcess.start(HOME, "up", "--grpc-port", "0", "--http-port", "0", "--insecure-local");
    String line = up.awaitLine(Pattern.compile("gRPC 127\\.0\\.0\\.1:\\d+, HTTP http://127\\.0\\.0\\.1:\\d+"), LIMIT);
    Matcher m = Pattern.compile("gRPC 127\\.0\\.0\\.1:(\\d+), HTTP http://127\\.0\\.0\\.1:(\\d+)").matcher(
        String.join("\n", up.stdout));
    assertThat(m.find()).as("ports in %s", line).isTrue();
    grpc = "127.0.0.1:" + m.group(1);
    http = "127.0.0.1:" + m.group(2);
  }

  @AfterAll
  static void stopGateway() throws Exception {
    if (up != null) {
      up.close();
    }
  }

  @Test
  void oneSnapshotShowsTheNodesAndTheRuns() throws Exception {
    try (LauncherProcess run = LauncherProcess.start(HOME, Map.of(), "run", "--profile", "minimal", "--gateway", grpc, "--", "echo", "hi")) {
      assertThat(run.waitFor(LIMIT)).as("stderr: %s", run.stderr).isZero();
    }
    try (LauncherProcess monitor = LauncherProcess.start(HOME, Map.of(), "monitor", "--once", "--http", http)) {
      assertThat(monitor.waitFor(LIMIT)).as("stderr: %s", monitor.stderr).isZero();
      String out = String.join("\n", monitor.stdout);
      assertThat(out).containsPattern("nodes [1-9]\\d* \\(ready\\)");
      assertThat(out).containsPattern("runs [1-9]\\d* \\[[^\\]]*ok=[1-9]");
      assertThat(out).containsPattern("spawn p50 \\d+\\.\\dms");
    }
  }
}
