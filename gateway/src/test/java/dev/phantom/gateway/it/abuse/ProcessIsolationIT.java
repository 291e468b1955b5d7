package dev.phantom.gateway.it.abuse;

import static dev.phantom.gateway.it.abuse.Sandboxes.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.gateway.it.EmbeddedMesh;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** No way to see, signal or trace host processes or other sandboxes. */
class ProcessIsolationIT {

  private static final String PROFILES = "dev.phantom.gateway.it.abuse.AbuseConfig#profiles";
  private static final long JVM_PID = ProcessHandle.current().pid();

  @RegisterExtension
  static final Sandboxes sandboxes = new Sandboxes();

  @ParameterizedTest
  @MethodSource(PROFILES)
  void aHostProcessCannotBeSignalled(String profile) {
    JsonObject check = sandboxes.runPython(profile, """
        pid = int(sys.argv[1])
        try:
            os.kill(pid, 0)
            out({"kill0": "OK"})
        except OSError as e:
            out({"kill0": err(e)})
        """, Long.toString(JVM_PID));

    // EPERM would mean the process is visible but owned by someone else: only ESRCH says it cannot be seen.
    assertThat(check.getString("kill0")).as("kill -0 of the test JVM (host pid %s)", JVM_PID).isEqualTo("ESRCH");
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void aHostProcessCannotBeTracedOrRead(String profile) {
    AbuseConfig.assumeX86_64();
    JsonObject check = sandboxes.runPython(profile, """
        pid = int(sys.argv[1])
        PTRACE_ATTACH = 16
        out({"ptrace": sc(101, PTRACE_ATTACH, pid, 0, 0), "process_vm_readv": sc(310, pid, 0, 0, 0, 0, 0)})
        """, Long.toString(JVM_PID));

    // Without the filter these say ESRCH (the pid namespace); EPERM is the filter refusing the call itself.
    assertThat(check.getJsonObject("ptrace").getString("errno")).as("ptrace(ATTACH, test JVM): %s", check)
        .isEqualTo("EPERM");
    assertThat(check.getJsonObject("process_vm_readv").getString("errno")).as("process_vm_readv: %s", check)
        .isEqualTo("EPERM");
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void anotherSandboxIsInvisible(String profile) throws Exception {
    String mark = Sandboxes.newMark();
    Future<RunResult> first = sandboxes.start(request(profile, "sh", "-c", "sleep 3; echo first")
        .putEnv(Sandboxes.MARK_VAR, mark));
    List<HostView.HostProcess> firstOnHost = HostView.awaitSandboxWith(mark, Duration.ofSeconds(10), first);
    long firstPid = firstOnHost.stream().filter(p -> p.insideSandbox(mark)).findFirst().orElseThrow().pid();

    JsonObject second = sandboxes.runPython(profile, """
        seen = []
        for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
            for name in ("cmdline", "environ"):
                try:
                    with open("/proc/%s/%s" % (pid, name), "rb") as f:
                        seen.append(f.read().decode("utf-8", "replace"))
                except OSError:
                    pass
        try:
            os.kill(int(sys.argv[1]), 0)
            kill0 = "OK"
        except OSError as e:
            kill0 = err(e)
        out({"seen": seen, "kill0": kill0})
        """, Long.toString(firstPid));
    boolean firstStillRunning = !HostView.processesWith(mark).isEmpty();

    assertThat(firstStillRunning).as("the first sandbox must still run while the second looks for it").isTrue();
    assertThat(second.getJsonArray("seen").encode()).as("what the second sandbox sees in /proc")
        .doesNotContain(mark);
    assertThat(second.getString("kill0")).as("kill -0 of the first sandbox's host pid %s", firstPid)
        .isEqualTo("ESRCH");
    RunResult firstResult = EmbeddedMesh.await(first);
    assertThat(firstResult.getStatus()).as(Sandboxes.describe(firstResult)).isEqualTo(RunStatus.RUN_STATUS_OK);
  }
}
