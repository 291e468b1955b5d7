package dev.phantom.gateway.it.abuse;

import static dev.phantom.gateway.it.abuse.Sandboxes.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.api.v1.RunResult;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The seccomp filter refuses at least what Docker's default profile refuses, plus io_uring, and answers
 * clone3 with ENOSYS. Arguments are chosen so that, without the filter, the kernel would answer something
 * else (EFAULT, EINVAL, EBADF, ENOKEY, success...): the checks fail if the filter is dropped, not only if
 * the sandbox gains capabilities.
 */
class SeccompIT {

  private static final String PROFILES = "dev.phantom.gateway.it.abuse.AbuseConfig#profiles";

  /** name → x86_64 number and arguments; every one must fail with EPERM. */
  private static final Map<String, String> EPERM_CALLS = new LinkedHashMap<>();

  static {
    // The mount family, old and new API.
    call("mount", 165, "0, 0, 0, 0, 0");
    call("umount2", 166, "0, 0");
    call("pivot_root", 155, "0, 0");
    call("open_tree", 428, "-1, 0, 0");
    call("move_mount", 429, "-1, 0, -1, 0, 0");
    call("fsopen", 430, "0, 0");
    call("fsconfig", 431, "-1, 0, 0, 0, 0");
    call("fsmount", 432, "-1, 0, 0");
    call("fspick", 433, "-1, 0, 0");
    call("mount_setattr", 442, "-1, 0, 0, 0, 0");
    // Namespaces.
    call("unshare", 272, "0");
    call("setns", 308, "-1, 0");
    // Keyrings: keyctl(GET_KEYRING_ID, session keyring) would succeed unfiltered.
    call("keyctl", 250, "0, -3, 1");
    call("add_key", 248, "0, 0, 0, 0, 0");
    call("request_key", 249, "0, 0, 0, 0");
    call("bpf", 321, "0, 0, 0");
    call("perf_event_open", 298, "0, 0, -1, -1, 0");
    // UFFD_USER_MODE_ONLY: allowed to unprivileged users by the kernel; only the filter refuses it.
    call("userfaultfd", 323, "1");
    // Tracing: a pid that does not exist in the sandbox says ESRCH unfiltered.
    call("ptrace", 101, "16, 99999, 0, 0");
    call("process_vm_writev", 311, "99999, 0, 0, 0, 0, 0");
    // Kernel code and kexec.
    call("kexec_load", 246, "0, 0, 0, 0");
    call("kexec_file_load", 320, "-1, -1, 0, 0, 0");
    call("init_module", 175, "0, 0, 0");
    call("finit_module", 313, "-1, 0, 0");
    call("delete_module", 176, "0, 0");
    call("reboot", 169, "0, 0, 0, 0");
    call("swapon", 167, "0, 0");
    call("swapoff", 168, "0");
    // Clocks and names.
    call("settimeofday", 164, "0, 0");
    call("clock_settime", 227, "0, 0");
    call("clock_adjtime", 305, "0, 0");
    call("adjtimex", 159, "0");
    call("sethostname", 170, "0, 0");
    call("setdomainname", 171, "0, 0");
    // File handles bypass path permissions (the "shocker" escape).
    call("open_by_handle_at", 304, "-1, 0, 0");
    call("name_to_handle_at", 303, "-1, 0, 0, 0, 0");
    // Accounting, kernel log, ports, odd file systems.
    call("acct", 163, "0");
    call("syslog", 103, "0, 0, 0");
    call("iopl", 172, "0");
    call("ioperm", 173, "0, 0, 0");
    call("quotactl", 179, "0, 0, 0, 0");
    call("fanotify_init", 300, "0, 0");
    call("vhangup", 153, "");
  }

  private static void call(String name, int nr, String args) {
    EPERM_CALLS.put(name, args.isEmpty() ? Integer.toString(nr) : nr + ", " + args);
  }

  @RegisterExtension
  static final Sandboxes sandboxes = new Sandboxes();

  @BeforeAll
  static void x86_64() {
    AbuseConfig.assumeX86_64();
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void aFilterIsInstalled(String profile) {
    RunResult result = sandboxes.run(request(profile, "grep", "^Seccomp:", "/proc/self/status"));

    assertThat(result.getStdout().toStringUtf8().trim()).as(Sandboxes.describe(result))
        .matches("Seccomp:\\s+2");
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void whatDockersDefaultProfileDeniesIsDenied(String profile) {
    String calls = EPERM_CALLS.entrySet().stream()
        .map(e -> "    \"" + e.getKey() + "\": sc(" + e.getValue() + "),")
        .collect(Collectors.joining("\n"));
    JsonObject results = sandboxes.runPython(profile, "out({\n" + calls + "\n})\n");

    SoftAssertions softly = new SoftAssertions();
    for (String name : EPERM_CALLS.keySet()) {
      softly.assertThat(results.getJsonObject(name).getString("errno")).as("%s: %s", name, results.getJsonObject(name))
          .isEqualTo("EPERM");
    }
    softly.assertAll();
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void ioUringIsRefused(String profile) {
    // Unfiltered: io_uring_setup(1, NULL) is EFAULT, the others EBADF.
    JsonObject results = sandboxes.runPython(profile,
        "out({\"setup\": sc(425, 1, 0), \"enter\": sc(426, -1, 0, 0, 0, 0, 0), \"register\": sc(427, -1, 0, 0, 0)})\n");

    assertThat(results.getMap()).as("io_uring").allSatisfy((call, outcome) ->
        assertThat(((Map<?, ?>) outcome).get("errno")).as("io_uring_%s: %s", call, outcome).isEqualTo("EPERM"));
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void clone3AnswersEnosysAndPlainForkStillWorks(String profile) {
    // Unfiltered, clone3(NULL, 0) is EINVAL: ENOSYS only comes from the filter (so glibc falls back to clone).
    JsonObject results = sandboxes.runPython(profile, """
        clone3 = sc(435, 0, 0)
        pid = os.fork()
        if pid == 0:
            os._exit(7)
        _, status = os.waitpid(pid, 0)
        out({"clone3": clone3, "fork_exit": os.waitstatus_to_exitcode(status)})
        """);

    assertThat(results.getJsonObject("clone3").getString("errno")).as("clone3: %s", results).isEqualTo("ENOSYS");
    assertThat(results.getInteger("fork_exit")).as("a plain fork still works").isEqualTo(7);
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  void rawAndPacketSocketsCannotBeOpened(String profile) {
    JsonObject results = sandboxes.runPython(profile, """
        import socket
        result = {}
        for name, family, kind, proto in [("raw_icmp", socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
                                          ("raw_ipv6", socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6),
                                          ("raw_tcp", socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP),
                                          ("packet", socket.AF_PACKET, socket.SOCK_RAW, 0x0300),
                                          ("packet_dgram", socket.AF_PACKET, socket.SOCK_DGRAM, 0x0300),
                                          ("tcp", socket.AF_INET, socket.SOCK_STREAM, 0)]:
            try:
                socket.socket(family, kind, proto).close()
                result[name] = "OK"
            except OSError as e:
                result[name] = err(e)
        out(result)
        """);

    SoftAssertions softly = new SoftAssertions();
    for (String name : new String[] {"raw_icmp", "raw_ipv6", "raw_tcp", "packet", "packet_dgram"}) {
      // strict refuses every family but AF_UNIX first (EAFNOSUPPORT); the others refuse these by type.
      softly.assertThat(results.getString(name)).as("socket %s: %s", name, results).isIn("EPERM", "EAFNOSUPPORT");
    }
    if (profile.equals("strict")) {
      softly.assertThat(results.getString("tcp")).as("strict allows AF_UNIX sockets only").isEqualTo("EAFNOSUPPORT");
    } else {
      softly.assertThat(results.getString("tcp")).as("a TCP socket (loopback only) is still allowed").isEqualTo("OK");
    }
    softly.assertAll();
  }
}
