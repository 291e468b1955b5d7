package dev.phantom.gateway.it;

import static dev.phantom.gateway.it.EmbeddedMesh.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import dev.phantom.api.v1.Language;
import dev.phantom.api.v1.ListProfilesResponse;
import dev.phantom.api.v1.OutputStream;
import dev.phantom.api.v1.ProfileInfo;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunEvent;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.api.v1.WorkspaceFile;
import dev.phantom.support.PhantomException;
import dev.phantom.support.testing.SandboxHost;
import io.vertx.grpc.common.GrpcStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The embedded mesh end to end: real sandboxes through the public gRPC API. */
class EmbeddedRunIT {

  private static EmbeddedMesh mesh;

  @BeforeAll
  static void start() {
    SandboxHost.assumeBubblewrap();
    mesh = EmbeddedMesh.start();
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void runReturnsOutputExitCodeAndWhereItRan() {
    RunResult result = mesh.run(request("minimal", "sh", "-c", "echo hello; echo oops >&2; exit 3"));

    assertThat(result.getStatus()).isEqualTo(RunStatus.RUN_STATUS_OK);
    assertThat(result.getExitCode()).isEqualTo(3);
    assertThat(result.getStdout().toStringUtf8()).isEqualTo("hello\n");
    assertThat(result.getStderr().toStringUtf8()).isEqualTo("oops\n");
    assertThat(result.getNodeId()).isEqualTo(mesh.node.mesh().membership().selfId());
    assertThat(result.getPolicyDigest()).isNotBlank();
    assertThat(result.getTimings().getSpawnMicros()).isPositive();
    assertThat(result.getTimings().getTotalMicros()).isGreaterThanOrEqualTo(result.getTimings().getWallMicros());
  }

  @Test
  void pythonDevRunsTheHostsPython() {
    RunResult result = mesh.run(request("python-dev", "python3", "-c", "print('Hello Fragment!')"));

    assertThat(result.getStderr().toStringUtf8()).isEmpty();
    assertThat(result.getStdout().toStringUtf8()).isEqualTo("Hello Fragment!\n");
    assertThat(result.getExitCode()).isZero();
  }

  @Test
  void stdinAndEnvironmentReachTheCommand() {
    RunResult result = mesh.run(request("minimal", "sh", "-c", "cat; echo \"$GREETING\"").toBuilder()
        .setStdin(ByteString.copyFromUtf8("from stdin\n"))
        .putEnv("GREETING", "from env")
        .build());

    assertThat(result.getStdout().toStringUtf8()).isEqualTo("from stdin\nfrom env\n");
  }

  @Test
  void runStreamDeliversOutputBeforeTheProcessEnds() {
    List<Long> arrivals = new ArrayList<>();
    List<RunEvent> events = new ArrayList<>();
    RunResult exit = mesh.runStream(request("minimal", "sh", "-c", "echo first; sleep 2; echo second"), event -> {
      arrivals.add(System.nanoTime());
      events.add(event);
    });

    assertThat(exit.getExitCode()).isZero();
    assertThat(events.getFirst().getOutput().getStream()).isEqualTo(OutputStream.OUTPUT_STREAM_STDOUT);
    assertThat(events.getFirst().getOutput().getData().toStringUtf8()).isEqualTo("first\n");
    assertThat(events.getLast().hasExit()).isTrue();
    // The first chunk came while the command was still sleeping, not with everything at the end.
    long firstToExitMs = (arrivals.getLast() - arrivals.getFirst()) / 1_000_000;
    assertThat(firstToExitMs).isGreaterThan(1_000);
    String all = events.stream().filter(RunEvent::hasOutput).map(e -> e.getOutput().getData().toStringUtf8())
        .reduce("", String::concat);
    assertThat(all).isEqualTo("first\nsecond\n");
  }

  @ParameterizedTest
  @ValueSource(strings = {"minimal", "python-dev"})
  void aCanaryFileOnTheHostCannotBeRead(String profile, @TempDir Path dir) throws Exception {
    Path canary = dir.resolve("canary.txt");
    Files.writeString(canary, "host secret 7f3a");
    Path projectCanary = Files.createTempFile(Path.of("target").toAbsolutePath(), "canary", ".txt");
    Files.writeString(projectCanary, "host secret 7f3a");
    try {
      for (Path path : List.of(canary, projectCanary)) {
        RunResult result = mesh.run(request(profile, "cat", path.toString()));
        assertThat(result.getExitCode()).as("cat %s", path).isNotZero();
        assertThat(result.getStdout().toStringUtf8()).doesNotContain("7f3a");
        assertThat(result.getStderr().toStringUtf8()).contains("No such file");
      }
    } finally {
      Files.deleteIfExists(projectCanary);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"minimal", "python-dev"})
  void theOnlyNetworkInterfaceIsLoopback(String profile) {
    RunResult result = mesh.run(request(profile, "cat", "/proc/net/dev"));

    List<String> interfaces = result.getStdout().toStringUtf8().lines()
        .filter(line -> line.contains(":"))
        .map(line -> line.substring(0, line.indexOf(':')).trim())
        .toList();
    assertThat(interfaces).containsExactly("lo");
  }

  @ParameterizedTest
  @ValueSource(strings = {"minimal", "python-dev"})
  void theSandboxSeesOnlyItsOwnSmallPidNamespace(String profile) {
    RunResult result = mesh.run(request(profile, "sh", "-c", "echo $$; ls /proc | grep -c '^[0-9]'"));

    List<String> lines = result.getStdout().toStringUtf8().lines().toList();
    assertThat(Integer.parseInt(lines.get(0))).as("the shell's own pid").isLessThanOrEqualTo(3);
    assertThat(Integer.parseInt(lines.get(1))).as("processes visible").isLessThanOrEqualTo(4);
  }

  @Test
  void aRunPastItsTimeoutIsKilled() {
    RunResult result = mesh.run(request("minimal", "sleep", "30").toBuilder()
        .setTimeout(Duration.newBuilder().setSeconds(1)).build());

    assertThat(result.getStatus()).isEqualTo(RunStatus.RUN_STATUS_TIMEOUT);
  }

  @Test
  void aMissingCommandFailsToStart() {
    RunResult result = mesh.run(request("minimal", "no-such-command-here"));

    assertThat(result.getStatus()).isEqualTo(RunStatus.RUN_STATUS_FAILED_TO_START);
    assertThat(result.getMessage()).contains("no-such-command-here");
  }

  @Test
  void anUnknownProfileIsNotFoundAndTheKnownOnesAreListed() {
    assertThatThrownBy(() -> mesh.run(request("no-such-profile", "true")))
        .isInstanceOfSatisfying(PhantomException.class, e -> {
          assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND);
          assertThat(e.getMessage()).contains("no-such-profile", "minimal", "python-dev");
        });
  }

  @Test
  void anEmptyArgvIsInvalid() {
    assertThatThrownBy(() -> mesh.run(request("minimal")))
        .isInstanceOfSatisfying(PhantomException.class,
            e -> assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT));
  }

  @ParameterizedTest
  @ValueSource(longs = {0, -5, 86_400})
  void aTimeoutOutsideTheProfilesBoundsIsInvalid(long seconds) {
    assertThatThrownBy(() -> mesh.run(request("minimal", "true").toBuilder()
            .setTimeout(Duration.newBuilder().setSeconds(seconds)).build()))
        .isInstanceOfSatisfying(PhantomException.class, e -> {
          assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
          assertThat(e.getMessage()).contains("timeout");
        });
  }

  @ParameterizedTest
  @ValueSource(strings = {"../escape.txt", "/etc/cron.d/x", "a/../../x"})
  void workspacePathsThatLeaveTheWorkspaceAreInvalid(String path) {
    RunRequest withFile = request("minimal", "true").toBuilder()
        .addFiles(WorkspaceFile.newBuilder().setPath(path).setContent(ByteString.copyFromUtf8("x")))
        .build();
    RunRequest collecting = request("minimal", "true").toBuilder().addCollect(path).build();

    for (RunRequest bad : List.of(withFile, collecting)) {
      assertThatThrownBy(() -> mesh.run(bad)).isInstanceOfSatisfying(PhantomException.class, e -> {
        assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        assertThat(e.getMessage()).contains(path);
      });
    }
  }

  @Test
  void aHostWorkspaceIsRefusedByAGatewayThatDoesNotAllowIt(@TempDir Path dir) {
    assertThatThrownBy(() -> mesh.run(request("minimal", "true").toBuilder().setHostWorkspace(dir.toString()).build()))
        .isInstanceOfSatisfying(PhantomException.class,
            e -> assertThat(e.status()).isEqualTo(GrpcStatus.PERMISSION_DENIED));
  }

  @Test
  void listProfilesNamesTheProfilesAndLanguages() {
    ListProfilesResponse profiles = EmbeddedMesh.await(mesh.client.listProfiles());

    assertThat(profiles.getProfilesList()).extracting(ProfileInfo::getName).contains("minimal", "python-dev");
    assertThat(profiles.getProfilesList()).allSatisfy(profile -> {
      assertThat(profile.getMaxTimeout().getSeconds()).isPositive();
      assertThat(profile.getNetwork()).isFalse();
    });
    assertThat(profiles.getLanguagesList()).extracting(Language::getName).contains("python", "node", "sh");
  }

  @Test
  void runCodeRunsPythonSourceWithItsFilesAndCollectsResults() {
    RunCodeRequest code = RunCodeRequest.newBuilder()
        .setLanguage("python")
        .setSource("import sys\nprint(open('data.txt').read().upper(), sys.argv[1:])\nopen('out/result.txt','w').write('done')\n")
        .addFiles(WorkspaceFile.newBuilder().setPath("data.txt").setContent(ByteString.copyFromUtf8("payload")))
        .addFiles(WorkspaceFile.newBuilder().setPath("out/.keep").setContent(ByteString.EMPTY))
        .addArgs("--flag")
        .addCollect("out/result.txt")
        .build();

    RunResult result = EmbeddedMesh.await(mesh.client.runCode(code));

    assertThat(result.getStderr().toStringUtf8()).isEmpty();
    assertThat(result.getStdout().toStringUtf8()).isEqualTo("PAYLOAD ['--flag']\n");
    assertThat(result.getFilesList()).singleElement().satisfies(file -> {
      assertThat(file.getPath()).isEqualTo("out/result.txt");
      assertThat(file.getContent().toStringUtf8()).isEqualTo("done");
      assertThat(file.getError()).isEmpty();
    });
  }

  @Test
  void runCodeInAnUnknownLanguageIsInvalid() {
    RunCodeRequest cobol = RunCodeRequest.newBuilder().setLanguage("cobol").setSource("DISPLAY 'HI'.").build();

    assertThatThrownBy(() -> EmbeddedMesh.await(mesh.client.runCode(cobol)))
        .isInstanceOfSatisfying(PhantomException.class, e -> {
          assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
          assertThat(e.getMessage()).contains("cobol", "python");
        });
  }

  @Test
  void healthAndPrometheusMetricsAreServed() throws Exception {
    mesh.run(request("minimal", "true"));
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> health = http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + mesh.httpPort + "/health")).build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + mesh.httpPort + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));

    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).contains("UP");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).contains("phantom_runs_total{profile=\"minimal\",status=\"ok\"}",
        "phantom_spawn_duration_seconds_bucket", "phantom_run_duration_seconds_count");
  }
}
