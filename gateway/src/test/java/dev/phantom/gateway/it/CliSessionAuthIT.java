package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.support.testing.SandboxHost;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A session command with a refused key exits 77, with one line on stderr. */
class CliSessionAuthIT {

  private static final Duration LIMIT = Duration.ofSeconds(90);

  @BeforeAll
  static void needsSandboxes() {
    SandboxHost.assumeBubblewrap();
  }

  @Test
  void aMissingOrWrongKeyIsUnauthenticated(@TempDir Path home) throws Exception {
    String key;
    try (LauncherProcess create = LauncherProcess.start(home, "keys", "create", "--name", "ci")) {
      assertThat(create.waitFor(LIMIT)).as("stderr: %s", create.stderr).isZero();
      key = create.stdout.getFirst();
    }
    try (LauncherProcess up = LauncherProcess.start(home, "up", "--grpc-port", "0", "--http-port", "0")) {
      String gateway = "127.0.0.1:" + up.awaitLine(Pattern.compile("gRPC 127\\.0\\.0\\.1:(\\d+)"), LIMIT);
      for (Map<String, String> env : java.util.List.of(Map.of("PHANTOM_GATEWAY", gateway),
          Map.of("PHANTOM_GATEWAY", gateway, "PHANTOM_API_KEY", "pf_wrong"))) {
        try (LauncherProcess list = LauncherProcess.start(home, env, "list")) {
          assertThat(list.waitFor(LIMIT)).as("stderr: %s", list.stderr).isEqualTo(77);
          assertThat(list.stderr).singleElement().asString().startsWith("phantom: UNAUTHENTICATED");
        }
      }
      try (LauncherProcess list = LauncherProcess.start(home,
          Map.of("PHANTOM_GATEWAY", gateway, "PHANTOM_API_KEY", key), "list", "--json")) {
        assertThat(list.waitFor(LIMIT)).as("stderr: %s", list.stderr).isZero();
        assertThat(list.stdout).containsExactly("[]");
      }
    }
  }
}
