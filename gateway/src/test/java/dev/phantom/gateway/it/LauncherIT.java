package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.support.testing.SandboxHost;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The README's first command, and the CLI's promises about exit codes and errors. */
class LauncherIT {

  private static final Duration LIMIT = Duration.ofSeconds(90);

  @BeforeAll
  static void needsSandboxes() {
    SandboxHost.assumeBubblewrap();
  }

  @Test
  void theReadmeHelloWorldPrintsItsLine() throws Exception {
    try (LauncherProcess run = LauncherProcess.start(
        "run", "--profile", "python-dev", "--", "python3", "-c", "print('Hello Fragment!')")) {
      assertThat(run.waitFor(LIMIT)).as("stderr: %s", run.stderr).isZero();
      assertThat(run.stdout).containsExactly("Hello Fragment!");
    }
  }

  @Test
  void theSandboxesExitCodeBecomesTheCommands() throws Exception {
    try (LauncherProcess run = LauncherProcess.start("run", "--profile", "minimal", "--", "sh", "-c", "exit 7")) {
      assertThat(run.waitFor(LIMIT)).isEqualTo(7);
    }
  }

  @Test
  void anUnknownProfileIsOneLineOnStderrAndAFailingExit() throws Exception {
    try (LauncherProcess run = LauncherProcess.start("run", "--profile", "nope", "--", "true")) {
      assertThat(run.waitFor(LIMIT)).isEqualTo(125);
      assertThat(run.stderr).hasSize(1);
      assertThat(run.stderr.getFirst()).startsWith("phantom: NOT_FOUND").contains("nope", "minimal");
    }
  }

  @Test
  void keysAreShownOnceAndStoredOnlyAsSaltedHashes(@org.junit.jupiter.api.io.TempDir java.nio.file.Path home)
      throws Exception {
    String key;
    try (LauncherProcess create = LauncherProcess.start(home, "keys", "create", "--name", "ci", "--rate", "5")) {
      assertThat(create.waitFor(LIMIT)).as("stderr: %s", create.stderr).isZero();
      key = create.stdout.getFirst();
    }
    assertThat(key).startsWith("pf_").hasSizeGreaterThan(40);
    String file = java.nio.file.Files.readString(home.resolve("keys.json"));
    assertThat(file).contains("\"ci\"", "salt", "sha256").doesNotContain(key);
    try (LauncherProcess list = LauncherProcess.start(home, "keys", "list")) {
      assertThat(list.waitFor(LIMIT)).isZero();
      assertThat(list.stdout).singleElement().asString().startsWith("ci").doesNotContain(key);
    }
    try (LauncherProcess again = LauncherProcess.start(home, "keys", "create", "--name", "ci")) {
      assertThat(again.waitFor(LIMIT)).isEqualTo(2);
      assertThat(again.stderr.getFirst()).contains("exists already");
    }
  }

  @Test
  void aServerWithoutKeysNeedsInsecureLocal(@org.junit.jupiter.api.io.TempDir java.nio.file.Path home)
      throws Exception {
    try (LauncherProcess up = LauncherProcess.start(home, "up", "--grpc-port", "0", "--http-port", "0")) {
      assertThat(up.waitFor(LIMIT)).isEqualTo(125);
      assertThat(String.join("\n", up.stderr)).contains("no API keys are configured", "--insecure-local");
    }
  }

  @Test
  void aLocalFileGoesInAndAHostWorkspaceIsBound(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    java.nio.file.Path local = dir.resolve("input.txt");
    java.nio.file.Files.writeString(local, "from the host\n");
    try (LauncherProcess run = LauncherProcess.start("run", "--profile", "minimal", "--file", local + ":in/data.txt",
        "--", "cat", "in/data.txt")) {
      assertThat(run.waitFor(LIMIT)).as("stderr: %s", run.stderr).isZero();
      assertThat(run.stdout).containsExactly("from the host");
    }
    java.nio.file.Path workspace = java.nio.file.Files.createDirectory(dir.resolve("project"));
    // bubblewrap runs as the unprivileged sandbox user, which must reach and write the directory it is given.
    java.nio.file.Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    java.nio.file.Files.setPosixFilePermissions(workspace, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    try (LauncherProcess run = LauncherProcess.start("run", "--profile", "minimal", "--workspace", workspace.toString(),
        "--", "sh", "-c", "echo made inside > result.txt")) {
      assertThat(run.waitFor(LIMIT)).as("stderr: %s", run.stderr).isZero();
    }
    assertThat(workspace.resolve("result.txt")).hasContent("made inside");
  }

  @Test
  void aMissingCommandArgumentIsAUsageError() throws Exception {
    try (LauncherProcess run = LauncherProcess.start("run", "--profile", "minimal")) {
      assertThat(run.waitFor(LIMIT)).isEqualTo(2);
      assertThat(run.stderr.getFirst()).startsWith("phantom: Missing required parameter");
    }
  }
}
