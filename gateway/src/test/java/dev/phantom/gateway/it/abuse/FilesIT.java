package dev.phantom.gateway.it.abuse;

import static dev.phantom.gateway.it.abuse.Sandboxes.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.phantom.api.v1.ResourceLimits;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.WorkspaceFile;
import dev.phantom.support.PhantomException;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Files in and out of /workspace: request files land with their content and mode, collected files come back,
 * links planted by the command are refused instead of followed, and no path or limit leaves the profile.
 */
class FilesIT {

  private static final String PROFILES = "dev.phantom.gateway.it.abuse.AbuseConfig#profiles";
  private static final List<String> ESCAPING_PATHS =
      List.of("../x", "/etc/x", "a/../../x", "/workspace/../etc/x", "..", "/");

  @RegisterExtension
  static final Sandboxes sandboxes = new Sandboxes();

  @ParameterizedTest
  @MethodSource(PROFILES)
  void requestFilesAppearInTheWorkspaceWithContentAndMode(String profile) {
    RunResult result = sandboxes.run(request(profile, "sh", "-c",
        "cd /workspace && stat -c '%a %s %n' notes.txt bin/run.sh && cat notes.txt && ./bin/run.sh")
        .addFiles(file("notes.txt", "hello notes\n", 0640))
        .addFiles(file("/workspace/bin/run.sh", "#!/bin/sh\necho ran\n", 0755)));

    assertThat(result.getStdout().toStringUtf8()).as(Sandboxes.describe(result))
        .isEqualTo("640 12 notes.txt\n755 19 bin/run.sh\nhello notes\nran\n");
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void collectReturnsTheFilesTheCommandWrote(String profile) {
    RunResult result = sandboxes.run(request(profile, "sh", "-c",
        "cd /workspace && mkdir -p out && printf 'result 42' > out/answer.txt")
        .addCollect("out/answer.txt").addCollect("missing.txt"));

    assertThat(result.getFilesList()).as(Sandboxes.describe(result)).hasSize(2);
    WorkspaceFile answer = result.getFiles(0);
    assertThat(answer.getPath()).endsWith("out/answer.txt");
    assertThat(answer.getError()).isEmpty();
    assertThat(answer.getContent().toStringUtf8()).isEqualTo("result 42");
    assertThat(result.getFiles(1).getError()).as("a missing file is an error entry").isNotEmpty();
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void plantedLinksAreRefusedNeverFollowed(String profile) throws Exception {
    String hostHostname = Files.readString(Path.of("/etc/hostname")).trim();
    RunResult result = sandboxes.run(request(profile, "sh", "-c", "cd /workspace"
            + " && ln -s /etc/hostname out"
            + " && ln -s /proc/1/environ env"
            + " && ln -s /etc etcdir"
            + " && ln -s / root")
        .addCollect("out").addCollect("env").addCollect("etcdir/hostname").addCollect("root/etc/passwd"));

    assertThat(result.getFilesList()).as(Sandboxes.describe(result)).hasSize(4);
    SoftAssertions softly = new SoftAssertions();
    for (WorkspaceFile file : result.getFilesList()) {
      softly.assertThat(file.getError()).as("error entry for %s", file.getPath()).isNotEmpty();
      softly.assertThat(file.getContent().toStringUtf8()).as("content of %s", file.getPath()).isEmpty();
      softly.assertThat(file.getContent().toStringUtf8()).as("content of %s", file.getPath())
          .doesNotContain(hostHostname).doesNotContain(Sandboxes.SUITE_MARK);
    }
    softly.assertAll();
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void pathsLeavingTheWorkspaceAreInvalid(String profile) {
    SoftAssertions softly = new SoftAssertions();
    for (String path : ESCAPING_PATHS) {
      softly.assertThatThrownBy(() -> sandboxes.run(request(profile, "true").addFiles(file(path, "x", 0))))
          .as("placing %s", path).isInstanceOfSatisfying(PhantomException.class,
              e -> assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT));
      softly.assertThatThrownBy(() -> sandboxes.run(request(profile, "true").addCollect(path)))
          .as("collecting %s", path).isInstanceOfSatisfying(PhantomException.class,
              e -> assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT));
    }
    softly.assertAll();
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void limitsAboveTheProfilesMaximumAreInvalid(String profile) {
    Map<String, ResourceLimits> tooMuch = Map.of(
        "memory_bytes", ResourceLimits.newBuilder().setMemoryBytes(1L << 50).build(),
        "pids", ResourceLimits.newBuilder().setPids(1_000_000).build(),
        "cpu_millicores", ResourceLimits.newBuilder().setCpuMillicores(1_000_000).build());

    SoftAssertions softly = new SoftAssertions();
    tooMuch.forEach((field, limits) -> softly.assertThatThrownBy(() ->
            sandboxes.run(request(profile, "true").setLimits(limits)))
        .as("limits.%s far above any maximum", field)
        .isInstanceOfSatisfying(PhantomException.class, e -> {
          assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
          assertThat(e.getMessage()).contains(field.substring(0, field.indexOf('_') < 0 ? field.length()
              : field.indexOf('_')));
        }));
    softly.assertAll();
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void aHostWorkspaceIsRefusedUnlessTheGatewayAllowsIt(String profile) {
    RunRequest.Builder request = request(profile, "sh", "-c", "ls -A /workspace").setHostWorkspace("/root");

    assertThatThrownBy(() -> sandboxes.run(request)).as("host_workspace=/root on a default gateway")
        .isInstanceOfSatisfying(PhantomException.class,
            e -> assertThat(e.status()).isEqualTo(GrpcStatus.PERMISSION_DENIED));
  }

  private static WorkspaceFile file(String path, String content, int mode) {
    return WorkspaceFile.newBuilder().setPath(path).setContent(ByteString.copyFromUtf8(content)).setMode(mode).build();
  }
}
