package dev.phantom.policy.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.policy.core.ArgCondition;
import dev.phantom.policy.core.Limits;
import dev.phantom.policy.core.MountKind;
import dev.phantom.policy.core.MountSpec;
import dev.phantom.policy.core.Profile;
import dev.phantom.policy.core.SeccompAction;
import dev.phantom.policy.core.SeccompRule;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProfileReaderTest {

  private static final String VALID = """
      name: tiny
      mounts:
        - {kind: ro-bind, source: /usr}
        - {kind: tmpfs, target: /tmp, size: 1MiB}
      network: disabled
      env: {LANG: C.UTF-8}
      hostname: sandbox
      cwd: /tmp
      uid: 1000
      gid: 1000
      limits:
        timeout: 500ms
        maxTimeout: 1m
        maxOutput: 4096
        memory: 512MiB
        maxMemory: 2GiB
        pids: 128
        maxPids: 1024
        cpu: 1000m
        maxCpu: 2
        maxFileSize: 256MiB
        maxOpenFiles: 1024
      seccomp:
        default: allow
        rules:
          - action: errno EPERM
            syscalls: [mount]
          - action: errno(EPERM)
            syscalls: ["@debug", "@module", "@reboot", "@raw-io", bpf, userfaultfd]
      """;

  /** The rule every test profile carries so that it needs no 'unsafe: true'. */
  private static final String FORBIDDEN_RULE =
      "- action: errno(EPERM)\n  syscalls: [\"@debug\", \"@module\", \"@reboot\", \"@raw-io\", bpf, userfaultfd]\n";

  private static List<String> problems(String yaml) {
    try {
      ProfileReader.read("dir/tiny.yaml", yaml, "tiny");
    } catch (ProfileException e) {
      return e.problems();
    }
    throw new AssertionError("expected a ProfileException");
  }

  @Test
  void readsAValidProfile() {
    Profile p = ProfileReader.read("dir/tiny.yaml", VALID, "tiny");
    assertThat(p.mounts().getFirst().kind()).isEqualTo(MountKind.RO_BIND);
    assertThat(p.mounts().getFirst().target()).as("bind target defaults to the source").isEqualTo("/usr");
    assertThat(p.mounts().get(1).sizeBytes()).isEqualTo(1 << 20);
    assertThat(p.limits().defaultTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(p.limits().maxTimeout()).isEqualTo(Duration.ofMinutes(1));
    assertThat(p.seccomp().rules().getFirst().action()).isEqualTo(SeccompAction.errno(1));
    assertThat(p.limits()).isEqualTo(new Limits(Duration.ofMillis(500), Duration.ofMinutes(1), 4096,
        512L << 20, 2L << 30, 128, 1024, 1000, 2000, 256L << 20, 1024));
  }

  @Test
  void readsAnImageAsATagOrADigestAndRefusesAnythingElseWithItsPosition() {
    assertThat(ProfileReader.read("dir/tiny.yaml", VALID, "tiny").image()).isEmpty();
    assertThat(ProfileReader.read("dir/tiny.yaml", "image: python-ml:latest\n" + VALID, "tiny").image())
        .isEqualTo("python-ml:latest");
    assertThat(ProfileReader.read("dir/tiny.yaml", "image: base\n" + VALID, "tiny").image()).isEqualTo("base");
    String digest = "0123456789abcdef".repeat(4);
    assertThat(ProfileReader.read("dir/tiny.yaml", "image: \"" + digest + "\"\n" + VALID, "tiny").image()).isEqualTo(digest);
    assertThat(problems("image: Python:latest\n" + VALID)).containsExactly("dir/tiny.yaml:1:8: image: 'Python:latest' is"
        + " neither a tag (name[:version], lowercase name) nor a manifest digest (64 lowercase hex digits)");
    assertThat(problems("image: a b\n" + VALID)).singleElement().asString().startsWith("dir/tiny.yaml:1:8: image: 'a b'");
    assertThat(problems("image: [x]\n" + VALID)).singleElement().asString()
        .startsWith("dir/tiny.yaml:1:8: image: expected a string");
  }

  @Test
  void readsAWorkspaceMount() {
    Profile p = ProfileReader.read("dir/tiny.yaml",
        VALID.replace("  - {kind: tmpfs", "  - {kind: workspace, target: /workspace, size: 64MiB}\n  - {kind: tmpfs"),
        "tiny");
    assertThat(p.mounts().get(1)).isEqualTo(new MountSpec(MountKind.WORKSPACE, "", "/workspace", false, 64L << 20));
  }

  @Test
  void workspaceNeedsASizeAndATargetAndNoSource() {
    assertThat(problems(VALID.replace("kind: tmpfs, target: /tmp, size: 1MiB", "kind: workspace, target: /workspace")))
        .containsExactly("dir/tiny.yaml:4:5: mounts[1]: workspace /workspace needs a size (e.g. 256MiB)");
    assertThat(problems(VALID.replace("kind: tmpfs, target: /tmp", "kind: workspace")))
        .containsExactly("dir/tiny.yaml:4:5: mounts[1].target: missing required field");
    assertThat(problems(VALID.replace("kind: tmpfs, target: /tmp", "kind: workspace, source: /srv, target: /w")))
        .containsExactly("dir/tiny.yaml:4:5: mounts[1]: workspace /w takes no source");
    assertThat(problems(VALID.replace("  - {kind: tmpfs, target: /tmp, size: 1MiB}",
        "  - {kind: workspace, target: /a, size: 1MiB}\n  - {kind: workspace, target: /b, size: 1MiB}")))
        .containsExactly("dir/tiny.yaml:1:1: (profile): at most one workspace mount per profile");
  }

  @Test
  void limitedNetworkIsRefusedClearly() {
    assertThat(problems(VALID.replace("network: disabled", "network: limited")))
        .containsExactly("dir/tiny.yaml:5:10: network: network: limited is not supported yet; use disabled");
  }

  @Test
  void limitsWithUnits() {
    Limits l = ProfileReader.read("dir/tiny.yaml", VALID.replace("cpu: 1000m", "cpu: 0.5").replace("maxCpu: 2", "maxCpu: 1500m"),
        "tiny").limits();
    assertThat(l.defaultCpuMillicores()).isEqualTo(500);
    assertThat(l.maxCpuMillicores()).isEqualTo(1500);
  }

  @Test
  void defaultsAboveMaximumsNameTheDefaultsLine() {
    assertThat(problems(VALID.replace("memory: 512MiB", "memory: 4GiB")))
        .containsExactly("dir/tiny.yaml:15:11: limits.memory: '4GiB' is above limits.maxMemory (2147483648)");
    assertThat(problems(VALID.replace("pids: 128", "pids: 2000")))
        .containsExactly("dir/tiny.yaml:17:9: limits.pids: '2000' is above limits.maxPids (1024)");
    assertThat(problems(VALID.replace("cpu: 1000m", "cpu: 3")))
        .containsExactly("dir/tiny.yaml:19:8: limits.cpu: '3' is above limits.maxCpu (2000)");
  }

  @Test
  void zeroAndNegativeLimitsAreErrors() {
    assertThat(problems(VALID.replace("maxMemory: 2GiB", "maxMemory: 0")))
        .containsExactly("dir/tiny.yaml:16:14: limits.maxMemory: must be positive, not '0'");
    assertThat(problems(VALID.replace("maxFileSize: 256MiB", "maxFileSize: -1MiB")))
        .containsExactly("dir/tiny.yaml:21:16: limits.maxFileSize: must be positive, not -1MiB");
    assertThat(problems(VALID.replace("pids: 128", "pids: 0")))
        .containsExactly("dir/tiny.yaml:17:9: limits.pids: must be between 1 and 2147483647, not 0");
    assertThat(problems(VALID.replace("maxOpenFiles: 1024", "maxOpenFiles: -5")))
        .containsExactly("dir/tiny.yaml:22:17: limits.maxOpenFiles: must be between 1 and 2147483647, not -5");
    assertThat(problems(VALID.replace("cpu: 1000m", "cpu: 0m")))
        .containsExactly("dir/tiny.yaml:19:8: limits.cpu: must be positive, not '0m'");
    assertThat(problems(VALID.replace("cpu: 1000m", "cpu: lots")))
        .containsExactly("dir/tiny.yaml:19:8: limits.cpu: expected millicores (1000m = one core) or cores (1, 0.5), got 'lots'");
    assertThat(problems(VALID.replace("maxOpenFiles: 1024", "maxOpenFiles: many")))
        .containsExactly("dir/tiny.yaml:22:17: limits.maxOpenFiles: expected an integer, got a string");
    assertThat(problems(VALID.replace("  maxPids: 1024\n", "")))
        .containsExactly("dir/tiny.yaml:12:3: limits.maxPids: missing required field");
    assertThat(problems(VALID.replace("timeout: 500ms", "defaultTimeout: 500ms")))
        .anySatisfy(p -> assertThat(p).startsWith("dir/tiny.yaml:12:3: limits.defaultTimeout: unknown field"))
        .anySatisfy(p -> assertThat(p).isEqualTo("dir/tiny.yaml:12:3: limits.timeout: missing required field"));
  }

  private static String withRule(String rule) {
    String indent = rule.substring(0, rule.indexOf('-'));
    String forbidden = FORBIDDEN_RULE.replace("- action", indent + "- action").replace("\n  syscalls", "\n" + indent + "  syscalls");
    String replaced = VALID.replace("    - action: errno(EPERM)\n      syscalls: [\"@debug\", \"@module\", \"@reboot\", \"@raw-io\", bpf, userfaultfd]\n", "")
        .replace("    - action: errno EPERM\n      syscalls: [mount]\n", rule + forbidden);
    assertThat(replaced).isNotEqualTo(VALID);
    return replaced;
  }

  @Test
  void readsArgumentConditions() {
    Profile p = ProfileReader.read("dir/tiny.yaml", withRule("""
              - action: errno EPERM
                syscalls: [socket]
                when: ["low32(arg1) & SOCK_TYPE_MASK == SOCK_RAW", "arg0 != 0x2"]
              - action: errno EPERM
                syscalls: [clone]
                when: [arg0 & CLONE_NEWUSER | CLONE_NEWNS != 0]
              - action: errno EPERM
                syscalls: [ioctl]
                when: ["low32( arg1 )==TIOCSTI"]
              - action: errno EPERM
                syscalls: [socket]
        """), "tiny");
    assertThat(p.seccomp().rules().subList(0, 4)).extracting(SeccompRule::conditions).containsExactly(
        List.of(new ArgCondition(1, 0xf, 3, true, true), new ArgCondition(0, -1L, 2, false, false)),
        List.of(new ArgCondition(0, 0x10020000L, 0, false, false)),
        List.of(ArgCondition.eq32(1, 0x5412)),
        List.of());
    assertThat(p.seccomp().rules().getFirst().conditions().getFirst().describe())
        .isEqualTo("low32(arg1) & 0xf == 0x3");
  }

  @Test
  void badConditionsNameFileLineAndField() {
    assertThat(problems(withRule("""
              - action: errno EPERM
                syscalls: [socket]
                when: ["arg6 == 1", "arg0 = 1", "arg0 == AF_NOPE", "low32(arg0) == 0x100000000", "arg1 & 0xf == 0x13", 7]
        """))).containsExactly(
        "dir/tiny.yaml:28:16: seccomp.rules[0].when[0]: arg6: a syscall has six arguments, arg0..arg5",
        "dir/tiny.yaml:28:29: seccomp.rules[0].when[1]: cannot read condition 'arg0 = 1'; expected "
            + "'argN OP VALUE', 'argN & MASK == VALUE' (or !=), or the same with low32(argN); N 0..5, OP one of"
            + " == != < <= > >=; MASK and VALUE numbers (42, 0x2a, -1) or constants joined with |",
        "dir/tiny.yaml:28:41: seccomp.rules[0].when[2]: unknown constant 'AF_NOPE'; did you mean 'AF_ROSE'?"
            + " (constants: AF_*, SOCK_*, CLONE_*, TIOC*, O_*, PROT_*, MAP_*, PER_*; see docs/policy.md)",
        "dir/tiny.yaml:28:60: seccomp.rules[0].when[3]: '0x100000000' is out of range: low32(argN) holds"
            + " 0..0xffffffff (negative values down to -2147483648 wrap around)",
        "dir/tiny.yaml:28:90: seccomp.rules[0].when[4]: value 0x13 has bits outside the mask 0xf,"
            + " so the condition would never hold",
        "dir/tiny.yaml:28:112: seccomp.rules[0].when[5]: expected a string, got an integer");
    assertThat(problems(withRule("""
              - action: errno EPERM
                syscalls: [socket]
                when: []
        """))).containsExactly(
        "dir/tiny.yaml:28:15: seccomp.rules[0].when: list at least one condition, or leave 'when' out");
  }

  @Test
  void unknownFieldNamesFileLineAndField() {
    assertThat(problems(VALID.replace("hostname: sandbox", "hostname: sandbox\nhostnmae: x")))
        .containsExactly("dir/tiny.yaml:8:1: hostnmae: unknown field; did you mean 'hostname'? (expected one of: "
            + "name, description, extends, unsafe, image, mounts, network, env, hostname, cwd, uid, gid, limits, seccomp)");
  }

  @Test
  void nestedUnknownFieldHasItsPath() {
    assertThat(problems(VALID.replace("size: 1MiB", "size: 1MiB, mode: 700")))
        .singleElement().asString().startsWith("dir/tiny.yaml:4:45: mounts[1].mode: unknown field");
  }

  @Test
  void wrongTypeNamesFileLineAndField() {
    assertThat(problems(VALID.replace("uid: 1000", "uid: root")))
        .containsExactly("dir/tiny.yaml:9:6: uid: expected an integer, got a string");
    assertThat(problems(VALID.replace("syscalls: [mount]", "syscalls: mount")))
        .containsExactly("dir/tiny.yaml:27:17: seccomp.rules[0].syscalls: expected a list, got a string");
  }

  @Test
  void missingRequiredFieldNamesTheField() {
    assertThat(problems(VALID.replace("cwd: /tmp\n", "")))
        .containsExactly("dir/tiny.yaml:1:1: cwd: missing required field");
    assertThat(problems(VALID.replace("  maxOutput: 4096\n", "")))
        .containsExactly("dir/tiny.yaml:12:3: limits.maxOutput: missing required field");
  }

  @Test
  void reportsEveryProblemAtOnce() {
    String bad = VALID.replace("uid: 1000", "uid: -1").replace("action: errno EPERM", "action: deny")
        .replace("maxTimeout: 1m", "maxTimeout: forever").replace("kind: tmpfs", "kind: overlay");
    assertThat(problems(bad)).containsExactlyInAnyOrder(
        "dir/tiny.yaml:4:12: mounts[1].kind: unknown mount kind 'overlay'; expected one of: "
            + "ro-bind, bind, tmpfs, proc, dev, symlink, dir, workspace",
        "dir/tiny.yaml:9:6: uid: must be between 0 and 2147483647, not -1",
        "dir/tiny.yaml:13:15: limits.maxTimeout: expected a number with ms, s or m (e.g. 10s), got 'forever'",
        "dir/tiny.yaml:26:15: seccomp.rules[0].action: unknown action 'deny'; expected one of: "
            + "allow, log, trap, kill-thread, kill-process, errno NAME, errno N, errno(NAME), errno(N)");
  }

  @Test
  void semanticChecksPointAtTheirSection() {
    assertThat(problems(VALID.replace("timeout: 500ms", "timeout: 2m")))
        .containsExactly("dir/tiny.yaml:12:12: limits.timeout: 120000 ms is above limits.maxTimeout (60000 ms)");
    assertThat(problems(VALID.replace("target: /tmp, size", "target: tmp, size")))
        .containsExactly("dir/tiny.yaml:4:5: mounts[1]: target must be an absolute path, not 'tmp'");
  }

  @Test
  void unknownErrnoAndDuplicateKeys() {
    assertThat(problems(VALID.replace("errno EPERM", "errno EWHATEVER")))
        .singleElement().asString().startsWith("dir/tiny.yaml:26:15: seccomp.rules[0].action: unknown errno 'EWHATEVER'");
    assertThat(problems(VALID.replace("gid: 1000", "gid: 1000\ngid: 0")))
        .containsExactly("dir/tiny.yaml:11:1: gid: duplicate field");
  }

  @Test
  void nameMustMatchTheFile() {
    assertThat(problems(VALID.replace("name: tiny", "name: small")))
        .containsExactly("dir/tiny.yaml:1:7: name: 'small' must match the file name ('tiny')");
  }

  @Test
  void syntaxErrorsCarryTheirPosition() {
    assertThatThrownBy(() -> ProfileReader.read("dir/tiny.yaml", "name: tiny\nmounts: [a, b\n", "tiny"))
        .isInstanceOf(ProfileException.class)
        .hasMessageStartingWith("dir/tiny.yaml:3:1: not valid YAML:");
    assertThat(problems("")).containsExactly("dir/tiny.yaml: empty document, expected a profile");
    assertThat(problems("- a\n")).containsExactly("dir/tiny.yaml:1:1: (profile): expected a mapping, got a list");
  }
}
