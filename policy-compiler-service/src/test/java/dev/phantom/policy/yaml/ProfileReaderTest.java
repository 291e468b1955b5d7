package dev.phantom.policy.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.policy.core.MountKind;
import dev.phantom.policy.core.Profile;
import dev.phantom.policy.core.SeccompAction;
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
        defaultTimeout: 500ms
        maxTimeout: 1m
        maxOutput: 4096
      seccomp:
        default: allow
        rules:
          - action: errno EPERM
            syscalls: [mount]
      """;

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
  }

  @Test
  void unknownFieldNamesFileLineAndField() {
    assertThat(problems(VALID.replace("hostname: sandbox", "hostname: sandbox\nhostnmae: x")))
        .containsExactly("dir/tiny.yaml:8:1: hostnmae: unknown field; expected one of: "
            + "name, description, mounts, network, env, hostname, cwd, uid, gid, limits, seccomp");
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
        .containsExactly("dir/tiny.yaml:19:17: seccomp.rules[0].syscalls: expected a list, got a string");
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
            + "ro-bind, bind, tmpfs, proc, dev, symlink, dir",
        "dir/tiny.yaml:9:6: uid: must be between 0 and 2147483647, not -1",
        "dir/tiny.yaml:13:15: limits.maxTimeout: expected a number with ms, s or m (e.g. 10s), got 'forever'",
        "dir/tiny.yaml:18:15: seccomp.rules[0].action: unknown action 'deny'; expected one of: "
            + "allow, log, trap, kill-thread, kill-process, errno <NAME>");
  }

  @Test
  void semanticChecksPointAtTheirSection() {
    assertThat(problems(VALID.replace("defaultTimeout: 500ms", "defaultTimeout: 2m")))
        .containsExactly("dir/tiny.yaml:12:3: limits: default timeout 120000 ms exceeds max timeout 60000 ms");
    assertThat(problems(VALID.replace("target: /tmp, size", "target: tmp, size")))
        .containsExactly("dir/tiny.yaml:4:5: mounts[1]: target must be an absolute path, not 'tmp'");
  }

  @Test
  void unknownErrnoAndDuplicateKeys() {
    assertThat(problems(VALID.replace("errno EPERM", "errno EWHATEVER")))
        .singleElement().asString().startsWith("dir/tiny.yaml:18:15: seccomp.rules[0].action: unknown errno 'EWHATEVER'");
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
