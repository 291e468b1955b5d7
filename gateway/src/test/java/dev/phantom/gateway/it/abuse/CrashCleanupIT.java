package dev.phantom.gateway.it.abuse;

import static dev.phantom.gateway.it.abuse.Sandboxes.request;
import static dev.phantom.gateway.it.abuse.Sandboxes.seconds;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.api.v1.RunResult;
import dev.phantom.gateway.client.SandboxClient;
import dev.phantom.gateway.it.LauncherProcess;
import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A service killed with SIGKILL mid-run gets no chance to clean up; the next start of the service must remove
 * what the killed one left: the sandbox's processes, its cgroups, its state directory and mounts.
 */
class CrashCleanupIT {

  private static final String PROFILES = "dev.phantom.gateway.it.abuse.AbuseConfig#profiles";
  private static final Pattern GRPC_PORT = Pattern.compile("gRPC 127\\.0\\.0\\.1:(\\d+)");
  private static final Duration START_LIMIT = Duration.ofSeconds(60);
  private static final Duration CLEANUP_LIMIT = Duration.ofSeconds(5);
  private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    SandboxHost.assumeBubblewrap();
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void theNextStartRemovesWhatAKilledServiceLeft(String profile, @TempDir Path dir) throws Exception {
    String[] up = upCommand(dir);
    String mark = Sandboxes.newMark();
    Set<String> runCgroups = new TreeSet<>();
    Set<String> runState = new TreeSet<>();
    try (LauncherProcess first = LauncherProcess.start(up)) {
      SandboxClient client = new SandboxClient(vertx,
          SocketAddress.inetSocketAddress(Integer.parseInt(first.awaitLine(GRPC_PORT, START_LIMIT)), "127.0.0.1"));
      Future<RunResult> running = client.run(request(profile, "sh", "-c", "sleep 120; echo never")
          .putEnv(Sandboxes.MARK_VAR, mark).setTimeout(seconds(60)).build());
      List<HostView.HostProcess> processes = HostView.awaitSandboxWith(mark, Duration.ofSeconds(20), running);
      // What the run holds on the host: cgroups other than the service's own, paths under the state directory.
      Set<String> serviceCgroups = HostView.cgroupsOf(first.process.pid());
      for (HostView.HostProcess process : processes) {
        HostView.cgroupsOf(process.pid()).stream().filter(c -> !serviceCgroups.contains(c))
            .forEach(runCgroups::add);
        Arrays.stream(process.cmdline().split(" ")).filter(arg -> arg.startsWith(AbuseConfig.stateDir() + "/"))
            .forEach(runState::add);
      }

      first.process.destroyForcibly();
      assertThat(first.process.waitFor(10, TimeUnit.SECONDS)).as("the service died of SIGKILL").isTrue();
    }

    try (LauncherProcess second = LauncherProcess.start(up)) {
      second.awaitLine(GRPC_PORT, START_LIMIT);
      SoftAssertions softly = new SoftAssertions();
      softly.assertThat(HostView.awaitNoProcessWith(mark, CLEANUP_LIMIT)).as("processes of the killed run")
          .isEmpty();
      softly.assertThat(HostView.awaitEmpty(() -> runCgroups.stream().filter(c -> cgroupDir(c).isPresent()).toList(),
          CLEANUP_LIMIT)).as("cgroups of the killed run").isEmpty();
      softly.assertThat(HostView.awaitEmpty(() -> runState.stream().filter(p -> Files.exists(Path.of(p))).toList(),
          CLEANUP_LIMIT)).as("state entries of the killed run").isEmpty();
      softly.assertThat(HostView.awaitEmpty(() -> HostView.phantomMounts().stream()
          .filter(line -> runState.stream().anyMatch(line::contains)).toList(), CLEANUP_LIMIT))
          .as("mounts of the killed run").isEmpty();
      softly.assertAll();
    }
  }

  private static String[] upCommand(Path dir) throws Exception {
    List<String> args = new ArrayList<>(List.of("up", "--grpc-port", "0", "--http-port", "0", "--insecure-local"));
    if (AbuseConfig.profileDir().isPresent()) {
      Path config = dir.resolve("node.json");
      Files.writeString(config, AbuseConfig.nodeConfig().encode());
      args.addAll(List.of("--config", config.toString()));
    }
    return args.toArray(String[]::new);
  }

  /** The directory of a {@code controller:path} cgroup entry, when it still exists. */
  private static Optional<Path> cgroupDir(String entry) {
    String controllers = entry.substring(0, entry.indexOf(':'));
    String path = entry.substring(entry.indexOf(':') + 1);
    List<String> candidates = new ArrayList<>(List.of(controllers.replace("name=", "")));
    candidates.addAll(List.of(controllers.split(",")));
    return candidates.stream().map(c -> CGROUP_ROOT.resolve(c).resolve(path.substring(1)))
        .filter(Files::isDirectory).findFirst();
  }
}
