package dev.phantom.gateway.it.abuse;

import static dev.phantom.gateway.it.abuse.Sandboxes.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phantom.api.v1.RunResult;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The host filesystem is invisible except what the profile mounts; nothing is writable outside /workspace
 * and /tmp; /proc and /dev are the sandbox's own.
 */
class FilesystemIT {

  private static final String PROFILES = "dev.phantom.gateway.it.abuse.AbuseConfig#profiles";

  /** Top-level entries a profile may show: the merged-usr links, the mount points, the workspace. */
  private static final Set<String> ALLOWED_ROOT_ENTRIES =
      Set.of("bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin", "tmp", "usr", "workspace");

  /** /dev as bubblewrap's --dev makes it: the harmless character devices, two directories, and links. */
  private static final Map<String, String> ALLOWED_DEV = Map.ofEntries(
      Map.entry("null", "c"), Map.entry("zero", "c"), Map.entry("full", "c"), Map.entry("random", "c"),
      Map.entry("urandom", "c"), Map.entry("tty", "c"), Map.entry("pts", "d"), Map.entry("shm", "d"),
      Map.entry("stdin", "l"), Map.entry("stdout", "l"), Map.entry("stderr", "l"), Map.entry("fd", "l"),
      Map.entry("ptmx", "l"), Map.entry("core", "l"));

  @RegisterExtension
  static final Sandboxes sandboxes = new Sandboxes();

  @ParameterizedTest
  @MethodSource(PROFILES)
  void canaryFilesOnTheHostCannotBeRead(String profile, @TempDir Path hostTemp) throws Exception {
    String secret = "canary-" + UUID.randomUUID();
    Path repo = Path.of("..").toAbsolutePath().normalize();
    List<Path> canaries = new ArrayList<>(List.of(hostTemp.resolve("canary.txt"),
        Path.of("/root", ".phantom-abuse-" + secret), repo.resolve(".phantom-abuse-" + secret)));
    try {
      for (Path canary : canaries) {
        Files.writeString(canary, secret);
      }
      SoftAssertions softly = new SoftAssertions();
      for (Path canary : canaries) {
        RunResult result = sandboxes.run(request(profile, "cat", canary.toString()));
        softly.assertThat(result.getStdout().toStringUtf8()).as("cat %s: %s", canary, Sandboxes.describe(result))
            .doesNotContain(secret);
        softly.assertThat(result.getExitCode()).as("cat %s", canary).isNotZero();
      }
      softly.assertAll();
    } finally {
      for (Path canary : canaries) {
        Files.deleteIfExists(canary);
      }
    }
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void theRootHoldsOnlyWhatTheProfileMounts(String profile) {
    RunResult result = sandboxes.run(request(profile, "ls", "-A", "/"));

    List<String> entries = result.getStdout().toStringUtf8().lines().toList();
    assertThat(entries).as("ls -A / (%s)", Sandboxes.describe(result)).contains("proc", "dev", "tmp")
        .isSubsetOf(ALLOWED_ROOT_ENTRIES);
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void theHostsPasswordFilesAreNotThere(String profile) throws Exception {
    RunResult passwd = sandboxes.run(request(profile, "cat", "/etc/passwd"));
    RunResult shadow = sandboxes.run(request(profile, "cat", "/etc/shadow"));

    String hostPasswd = Files.readString(Path.of("/etc/passwd"));
    assertThat(passwd.getStdout().toStringUtf8()).as("/etc/passwd inside (%s)", Sandboxes.describe(passwd))
        .isNotEqualTo(hostPasswd);
    assertThat(shadow.getStdout().toStringUtf8()).as("/etc/shadow inside (%s)", Sandboxes.describe(shadow))
        .isEmpty();
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void minimalShowsOnlyTheLoadersCacheFromEtc(String profile) throws Exception {
    assumeTrue("minimal".equals(profile), "only the minimal profile promises the exact contents of /etc");
    Path hostCache = Path.of("/etc/ld.so.cache");
    assumeTrue(Files.isRegularFile(hostCache), "the host has no /etc/ld.so.cache (the mount is optional)");
    RunResult etc = sandboxes.run(request(profile, "ls", "-A", "/etc"));
    RunResult cache = sandboxes.run(request(profile, "cat", "/etc/ld.so.cache"));

    assertThat(etc.getStdout().toStringUtf8().lines().toList()).as("ls -A /etc (%s)", Sandboxes.describe(etc))
        .containsExactly("ld.so.cache");
    assertThat(cache.getStdout().toByteArray()).as("the cache inside (%s)", Sandboxes.describe(cache))
        .isEqualTo(Files.readAllBytes(hostCache));
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void nothingOutsideWorkspaceAndTmpIsWritable(String profile) {
    JsonObject attempts = sandboxes.runPython(profile, """
        result = {}
        for d in sys.argv[1:]:
            path = d.rstrip("/") + "/.phantom-abuse-probe"
            try:
                with open(path, "w") as f:
                    f.write("x")
                result[d] = "OK"
            except OSError as e:
                result[d] = err(e)
        out(result)
        """, "/", "/usr", "/etc", "/bin", "/sbin", "/lib", "/var", "/proc/sys", "/proc/sys/kernel", "/sys", "/dev");

    assertThat(attempts.getMap()).as("files created outside /workspace and /tmp")
        .allSatisfy((dir, outcome) -> assertThat(outcome).as("creating a file in %s", dir).isNotEqualTo("OK"));
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void workspaceAndTmpAreWritable(String profile) {
    RunResult result = sandboxes.run(request(profile, "sh", "-c",
        "echo a > /tmp/probe && echo tmp; echo b > /workspace/probe && echo workspace; pwd"));

    assertThat(result.getStdout().toStringUtf8().lines().limit(2).toList())
        .as("writable scratch directories (%s)", Sandboxes.describe(result)).containsExactly("tmp", "workspace");
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void procIsTheSandboxsOwn(String profile) {
    RunResult result = sandboxes.run(request(profile, "sh", "-c",
        "ls /proc | grep -c '^[0-9]'; tr '\\0' ' ' < /proc/1/cmdline"));

    List<String> lines = result.getStdout().toStringUtf8().lines().toList();
    String hostInit = HostView.read(Path.of("/proc/1/cmdline")).trim();
    assertThat(lines).as(Sandboxes.describe(result)).hasSize(2);
    assertThat(Integer.parseInt(lines.get(0))).as("processes in the sandbox's /proc").isLessThanOrEqualTo(5);
    assertThat(lines.get(1).trim()).as("/proc/1/cmdline inside").isNotEqualTo(hostInit);
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void devHoldsOnlyHarmlessDevices(String profile) {
    JsonObject dev = sandboxes.runPython(profile, """
        import stat
        top, special = {}, []
        for name in os.listdir("/dev"):
            m = os.lstat("/dev/" + name).st_mode
            kinds = [(stat.S_ISLNK, "l"), (stat.S_ISDIR, "d"), (stat.S_ISCHR, "c"), (stat.S_ISBLK, "b")]
            top[name] = next((kind for test, kind in kinds if test(m)), "f")
        for root, dirs, files in os.walk("/dev"):
            for name in dirs + files:
                path = os.path.join(root, name)
                m = os.lstat(path).st_mode
                if stat.S_ISBLK(m) or (stat.S_ISCHR(m) and root != "/dev" and path != "/dev/pts/ptmx"):
                    special.append(path)
        try:
            open("/dev/core", "rb").read(1)
            core = "OK"
        except OSError as e:
            core = err(e)
        out({"top": top, "special": special, "core": core})
        """);

    assertThat(dev.getJsonObject("top").getMap()).as("/dev").allSatisfy((name, type) ->
        assertThat(ALLOWED_DEV.get(name)).as("/dev/%s of type %s", name, type).isEqualTo(type));
    assertThat(dev.getJsonArray("special").getList()).as("block devices, and character devices below /dev")
        .isEmpty();
    assertThat(dev.getString("core")).as("reading /dev/core (-> /proc/kcore)").isNotEqualTo("OK");
  }
}
