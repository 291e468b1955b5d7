package dev.phantom.gateway.it.abuse;

import static dev.phantom.gateway.it.abuse.Sandboxes.python;
import static dev.phantom.gateway.it.abuse.Sandboxes.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.gateway.it.EmbeddedMesh;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Isolation: the sandbox has its own namespaces, cannot make new user namespaces, holds no capability, runs
 * with no_new_privs in a new session, and is an unprivileged user on the host even though the service is
 * root.
 */
class IsolationIT {

  private static final String PROFILES = "dev.phantom.gateway.it.abuse.AbuseConfig#profiles";
  private static final List<String> NAMESPACES = List.of("user", "pid", "mnt", "ipc", "uts", "cgroup", "net");

  @RegisterExtension
  static final Sandboxes sandboxes = new Sandboxes();

  @ParameterizedTest
  @MethodSource(PROFILES)
  void everyNamespaceIsTheSandboxsOwn(String profile) throws Exception {
    RunResult result = sandboxes.run(request(profile, "sh", "-c",
        "for n in " + String.join(" ", NAMESPACES) + "; do echo \"$n $(readlink /proc/self/ns/$n)\"; done"));

    Map<String, String> inside = new LinkedHashMap<>();
    result.getStdout().toStringUtf8().lines().map(line -> line.split(" ", 2))
        .forEach(parts -> inside.put(parts[0], parts.length > 1 ? parts[1] : ""));
    SoftAssertions softly = new SoftAssertions();
    for (String ns : NAMESPACES) {
      String host = Files.readSymbolicLink(Path.of("/proc/self/ns", ns)).toString();
      softly.assertThat(inside.get(ns)).as("%s namespace inside (%s)", ns, Sandboxes.describe(result))
          .startsWith(ns + ":[").isNotEqualTo(host);
    }
    softly.assertAll();
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void noUserNamespaceCanBeCreatedInside(String profile) {
    JsonObject checks = sandboxes.runPython(profile, """
        CLONE_NEWUSER, SIGCHLD = 0x10000000, 17
        unshare = sc(272, CLONE_NEWUSER)
        # A raw clone(2) with the flag, stack 0 (fork-like): a child that got a user namespace leaves at once.
        clone = sc(56, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0)
        if clone["ret"] == 0:
            os._exit(0)
        if clone["ret"] > 0:
            os.waitpid(clone["ret"], 0)
        out({"unshare": unshare, "clone": clone})
        """);

    assertThat(checks.getJsonObject("unshare").getString("errno")).as("unshare(CLONE_NEWUSER): %s", checks)
        .isEqualTo("EPERM");
    // bubblewrap's --disable-userns alone answers ENOSPC; EPERM comes from the filter's argument rule.
    assertThat(checks.getJsonObject("clone").getString("errno")).as("clone(CLONE_NEWUSER): %s", checks)
        .isEqualTo("EPERM");
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void theSandboxHoldsNoCapabilityAndCannotGainPrivileges(String profile) {
    RunResult result = sandboxes.run(request(profile, "cat", "/proc/self/status"));

    Map<String, String> status = new LinkedHashMap<>();
    result.getStdout().toStringUtf8().lines().filter(line -> line.contains(":"))
        .forEach(line -> status.put(line.substring(0, line.indexOf(':')), line.substring(line.indexOf(':') + 1).trim()));
    SoftAssertions softly = new SoftAssertions();
    for (String set : List.of("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")) {
      softly.assertThat(status.get(set)).as("%s (%s)", set, Sandboxes.describe(result)).isEqualTo("0000000000000000");
    }
    softly.assertThat(status.get("NoNewPrivs")).as("NoNewPrivs").isEqualTo("1");
    softly.assertAll();
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void tiocstiCannotPushInputIntoATerminal(String profile) {
    JsonObject check = sandboxes.runPython(profile, """
        import fcntl, termios
        result = {}
        for fd in (0, 1, 2):
            try:
                fcntl.ioctl(fd, termios.TIOCSTI, b"x")
                result[str(fd)] = "OK"
            except OSError as e:
                result[str(fd)] = err(e)
        out(result)
        """);

    // Without a terminal the kernel alone says ENOTTY; EPERM on every descriptor is the filter's answer, which
    // also holds when a terminal is there.
    assertThat(check.getMap()).as("TIOCSTI per descriptor").containsOnly(
        Map.entry("0", "EPERM"), Map.entry("1", "EPERM"), Map.entry("2", "EPERM"));
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void theCommandRunsInANewSessionAsAnUnprivilegedHostUser(String profile) throws Exception {
    String mark = Sandboxes.newMark();
    Future<RunResult> running = sandboxes.start(request(profile, "sh", "-c", "sleep 2; echo done")
        .putEnv(Sandboxes.MARK_VAR, mark));

    List<HostView.HostProcess> processes = HostView.awaitSandboxWith(mark, Duration.ofSeconds(10), running);
    long ownSession = HostView.ownSession();
    SoftAssertions softly = new SoftAssertions();
    for (HostView.HostProcess process : processes) {
      softly.assertThat(process.uids()).as("host uids of %s", process).hasSize(4).doesNotContain(0);
      softly.assertThat(process.gids()).as("host gids of %s", process).hasSize(4).doesNotContain(0);
      if (process.insideSandbox(mark)) {
        softly.assertThat(process.session()).as("session of %s (this JVM's is %s)", process, ownSession)
            .isNotEqualTo(ownSession);
      }
    }
    RunResult result = EmbeddedMesh.await(running);
    softly.assertThat(result.getStatus()).as(Sandboxes.describe(result)).isEqualTo(RunStatus.RUN_STATUS_OK);
    softly.assertAll();
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void rootOnlyKernelSettingsCannotBeWritten(String profile) throws Exception {
    String before = HostView.read(Path.of("/proc/sys/kernel/core_pattern"));
    JsonObject check = sandboxes.runPython(profile, """
        try:
            with open("/proc/sys/kernel/core_pattern", "w") as f:
                f.write("|/tmp/pwn")
            out({"write": "OK"})
        except OSError as e:
            out({"write": err(e)})
        """);

    assertThat(check.getString("write")).as("writing core_pattern").isNotEqualTo("OK");
    assertThat(HostView.read(Path.of("/proc/sys/kernel/core_pattern"))).isEqualTo(before);
  }
}
