package dev.phantom.policy.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.policy.ClasspathSyscalls;
import dev.phantom.policy.core.MountKind;
import dev.phantom.policy.core.MountSpec;
import dev.phantom.policy.core.Profile;
import java.util.List;
import org.junit.jupiter.api.Test;

/** extends, groups, actions, operators, unsafe, implicit rules and the bad-input messages. */
class ProfileLanguageTest {

  private static final ProfileLibrary BUILTINS = ProfileLoader.library(ProfileLanguageTest.class.getClassLoader(),
      List.of(), ClasspathSyscalls.load());

  private static ProfileLibrary.Entry read(String yaml) {
    return BUILTINS.readInline("my.yaml", yaml);
  }

  private static List<String> problems(String yaml) {
    try {
      read(yaml);
    } catch (ProfileException e) {
      return e.problems();
    }
    throw new AssertionError("expected a ProfileException");
  }

  private static List<String> libraryProblems(ProfileLibrary.Text... texts) {
    try {
      ProfileLibrary.of(List.of(texts), ClasspathSyscalls.load(), List.of());
    } catch (ProfileException e) {
      return e.problems();
    }
    throw new AssertionError("expected a ProfileException");
  }

  @Test
  void extendsMergesByTheDocumentedRules() {
    Profile strict = BUILTINS.find("strict").orElseThrow().profile();
    Profile p = read("""
        name: mine
        extends: strict
        hostname: box
        env: {TZ: ~, EXTRA: "1", LANG: C}
        limits: {memory: 128MiB}
        mounts:
          - {kind: tmpfs, target: /tmp, size: 1MiB}
          - {kind: ro-bind, source: /opt/tool, optional: true}
        seccomp:
          default: errno EPERM
          rules:
            - {action: allow, syscalls: ["@basic-io", "@file-system", "@process", "@signal", "@memory", socket]}
        """).profile();
    assertThat(p.hostname()).isEqualTo("box");
    assertThat(p.cwd()).isEqualTo(strict.cwd());
    assertThat(p.env()).doesNotContainKey("TZ").containsEntry("EXTRA", "1").containsEntry("LANG", "C")
        .containsEntry("HOME", "/workspace");
    assertThat(p.limits().defaultMemoryBytes()).isEqualTo(128L << 20);
    assertThat(p.limits().maxMemoryBytes()).isEqualTo(strict.limits().maxMemoryBytes());
    // /tmp replaced in place, the new bind appended
    int tmp = strict.mounts().indexOf(strict.mounts().stream().filter(m -> m.target().equals("/tmp")).findFirst().orElseThrow());
    assertThat(p.mounts().get(tmp)).isEqualTo(new MountSpec(MountKind.TMPFS, "", "/tmp", false, 1L << 20));
    assertThat(p.mounts().getLast()).isEqualTo(new MountSpec(MountKind.RO_BIND, "/opt/tool", "/opt/tool", true, 0));
    // the child's rules first: socket is allowed outright, so strict's socket rules no longer apply to it
    assertThat(p.seccomp().decide("socket", new long[] {17, 3}).describe()).isEqualTo("allow");
    // the parent's rules still apply to what the child did not decide
    assertThat(p.seccomp().decide("mount", new long[6]).describe()).isEqualTo("errno EPERM");
    // the child's @process allows clone outright, so strict's namespace-flag rule no longer applies
    assertThat(p.seccomp().decide("clone", new long[] {0x10000000L}).describe()).isEqualTo("allow");
    // ... but a group member the parent decided earlier? no: the child's groups come first
    assertThat(p.seccomp().decide("read", new long[6]).describe()).isEqualTo("allow");
    assertThat(p.seccomp().decide("reboot", new long[6]).describe()).isEqualTo("errno EPERM");
    assertThat(p.seccomp().decide("getuid", new long[6]).describe()).as("the child's default").isEqualTo("errno EPERM");
    // @process names clone3: deciding it in the profile replaces the implicit ENOSYS
    assertThat(p.seccomp().decide("clone3", new long[6]).describe()).isEqualTo("allow");
  }

  @Test
  void actionsOperatorsAndConstants() {
    Profile p = read("""
        name: mine
        extends: minimal
        seccomp:
          rules:
            - {action: errno(13), syscalls: [read], when: ["arg2 > 0x1000"]}
            - {action: errno(EACCES), syscalls: [write], when: ["arg2 >= 4096", "low32(arg0) <= 2"]}
            - {action: "errno 5", syscalls: [pread64], when: ["arg3 < 16"]}
            - {action: kill-thread, syscalls: [mprotect], when: ["arg2 & PROT_EXEC == PROT_EXEC"]}
            - {action: log, syscalls: [openat], when: ["arg2 & O_CREAT | O_EXCL != 0"]}
            - {action: trap, syscalls: [ioctl], when: ["low32(arg1) == TIOCGWINSZ"]}
            - {action: kill-process, syscalls: [getcwd], when: ["arg1 == -1"]}
        """).profile();
    var s = p.seccomp();
    assertThat(s.decide("read", new long[] {0, 0, 0x1001}).describe()).isEqualTo("errno EACCES");
    assertThat(s.decide("read", new long[] {0, 0, 0x1000}).describe()).isEqualTo("allow");
    assertThat(s.decide("write", new long[] {0x1_0000_0001L, 0, 4096}).describe()).isEqualTo("errno EACCES");
    assertThat(s.decide("write", new long[] {3, 0, 4096}).describe()).isEqualTo("allow");
    assertThat(s.decide("pread64", new long[] {0, 0, 0, 15}).describe()).isEqualTo("errno EIO");
    assertThat(s.decide("mprotect", new long[] {0, 0, 7}).describe()).isEqualTo("kill-thread");
    assertThat(s.decide("openat", new long[] {0, 0, 0100}).describe()).isEqualTo("log");
    assertThat(s.decide("ioctl", new long[] {0, 0x5413}).describe()).isEqualTo("trap");
    assertThat(s.decide("getcwd", new long[] {0, -1}).describe()).isEqualTo("kill-process");
  }

  @Test
  void badInputNamesFileLineColumnAndHints() {
    assertThat(problems("""
        name: mine
        extends: minimal
        seccomp:
          rules:
            - {action: errno EPREM, syscalls: [mount]}
            - {action: errno 5000, syscalls: [mount]}
            - {action: alow, syscalls: [mount]}
            - {action: allow, syscalls: ["@file-sytem", opnat]}
            - {action: allow, syscalls: [read], when: ["arg0 == 1", "arg0 == 2"]}
            - {action: allow, syscalls: [read], when: ["arg0 < 0"]}
            - {action: allow, syscalls: [read], when: ["arg0 & 0xf < 3"]}
            - {action: allow, syscalls: [read], when: ["arg0 == O_DIRECTORY"]}
            - {action: allow, syscalls: [read], when: ["arg0 == 0x1ffffffffffffffff"]}
        """)).containsExactly(
        "my.yaml:5:16: seccomp.rules[0].action: unknown errno 'EPREM'; did you mean 'EPERM'? (a name from errno.h"
            + " such as EPERM, EACCES, ENOSYS, or a number 1..4095)",
        "my.yaml:6:16: seccomp.rules[1].action: errno 5000 is out of range: 1..4095",
        "my.yaml:7:16: seccomp.rules[2].action: unknown action 'alow'; did you mean 'allow'? (expected one of: allow,"
            + " log, trap, kill-thread, kill-process, errno NAME, errno N, errno(NAME), errno(N))",
        "my.yaml:8:34: seccomp.rules[3].syscalls[0]: unknown syscall group '@file-sytem'; did you mean '@file-system'?"
            + " (groups: " + String.join(", ", ClasspathSyscalls.load().allGroups()) + ")",
        "my.yaml:8:49: seccomp.rules[3].syscalls[1]: unknown syscall 'opnat'; did you mean 'openat'? (in none of the"
            + " tables for x86_64, aarch64)",
        "my.yaml:9:47: seccomp.rules[4].when: contradictory conditions: 'arg0 == 0x1' and 'arg0 == 0x2' cannot both"
            + " hold, so the rule could never match; fix or remove it",
        "my.yaml:10:47: seccomp.rules[5].when: contradictory conditions: 'arg0 < 0x0' never holds (nothing is below 0),"
            + " so the rule could never match; fix or remove it",
        "my.yaml:11:48: seccomp.rules[6].when[0]: a mask only goes with == or != ('argN & MASK == VALUE'); < compares"
            + " the whole argument",
        "my.yaml:12:48: seccomp.rules[7].when[0]: 'O_DIRECTORY' has different values on x86_64 and aarch64; write the"
            + " number for the architecture you compile for",
        "my.yaml:13:48: seccomp.rules[8].when[0]: '0x1ffffffffffffffff' is out of range: an argument holds"
            + " 0..0xffffffffffffffff (negative values down to -9223372036854775808 wrap around)");
  }

  @Test
  void contradictoryRulesInOneFileAreErrorsButOverridesAcrossExtendsAreNot() {
    assertThat(problems("""
        name: mine
        extends: minimal
        seccomp:
          rules:
            - {action: allow, syscalls: [mount]}
            - {action: kill-process, syscalls: [mount, umount2]}
        """)).containsExactly("my.yaml:6:41: seccomp.rules[1].syscalls[0]: 'mount' can never reach this rule: the"
        + " rule at my.yaml:5 (allow) already takes it unconditionally; contradictory rules: put the rule with more"
        + " conditions first, or remove one");
    // through a group: simply the rest of the group
    Profile p = read("""
        name: mine
        extends: minimal
        unsafe: true
        seccomp:
          rules:
            - {action: allow, syscalls: [mount]}
            - {action: kill-process, syscalls: ["@mount"]}
        """).profile();
    assertThat(p.seccomp().decide("mount", new long[6]).describe()).isEqualTo("allow");
    assertThat(p.seccomp().decide("umount2", new long[6]).describe()).isEqualTo("kill-process");
  }

  @Test
  void extendsCyclesAndUnknownParents() {
    String body = "mounts: []\nnetwork: disabled\nhostname: h\ncwd: /\nuid: 1\ngid: 1\n";
    assertThat(libraryProblems(
        new ProfileLibrary.Text("a.yaml", "name: a\nextends: b\n", "a"),
        new ProfileLibrary.Text("b.yaml", "name: b\nextends: c\n", "b"),
        new ProfileLibrary.Text("c.yaml", "name: c\nextends: a\n" + body, "c")))
        .contains("c.yaml:2:10: extends: cycle a -> b -> c -> a; a profile cannot extend itself, directly or through others");
    assertThat(problems("name: x\nextends: pyhton-dev\n")).containsExactly("my.yaml:2:10: extends: unknown profile"
        + " 'pyhton-dev'; did you mean 'python-dev'? (known: go-dev, java-dev, minimal, node-dev, python-dev, rust-dev, strict)");
  }

  @Test
  void forbiddenSyscallsNeedUnsafeAndWarn() throws Exception {
    assertThat(problems("""
        name: mine
        extends: strict
        seccomp:
          rules:
            - {action: allow, syscalls: [bpf, ptrace]}
        """)).containsExactly(
        "my.yaml:5:34: seccomp.rules: allows bpf, which no profile may allow; deny it (e.g. a rule '{action: errno"
            + " EPERM, syscalls: [bpf]}' before this) or, if you really mean it, set 'unsafe: true'",
        "my.yaml:5:39: seccomp.rules: allows ptrace, which no profile may allow; deny it (e.g. a rule '{action: errno"
            + " EPERM, syscalls: [ptrace]}' before this) or, if you really mean it, set 'unsafe: true'");
    assertThat(problems("""
        name: mine
        extends: strict
        seccomp:
          rules:
            - {action: allow, syscalls: [perf_event_open], when: ["arg0 == 0"]}
        """)).singleElement().asString().contains("allows perf_event_open");
    ProfileLibrary.Entry ok = read("""
        name: mine
        extends: strict
        unsafe: true
        seccomp:
          rules:
            - {action: allow, syscalls: [bpf]}
        """);
    assertThat(ok.warnings()).containsExactly("my.yaml:3:9: unsafe: this profile allows bpf, which the product"
        + " forbids in every other profile");
    assertThat(read("name: mine\nextends: strict\nunsafe: true\n").warnings())
        .containsExactly("my.yaml:3:9: unsafe: true is not needed: nothing forbidden is allowed");
    // unsafe is not inherited
    String strictText = new String(ProfileLanguageTest.class.getClassLoader().getResourceAsStream(
        "profiles/strict.yaml").readAllBytes());
    assertThatThrownBy(() -> ProfileLibrary.of(List.of(new ProfileLibrary.Text("strict.yaml", strictText, "strict"),
            new ProfileLibrary.Text("p.yaml", "name: p\nextends: strict\nunsafe: true\nseccomp: {rules: [{action: allow, syscalls: [bpf]}]}\n", "p"),
            new ProfileLibrary.Text("q.yaml", "name: q\nextends: p\n", "q")), ClasspathSyscalls.load(), List.of()))
        .isInstanceOf(ProfileException.class).hasMessageContaining("allows bpf");
  }

  @Test
  void clone3AndIoUringAreEnosysUnlessDecided() {
    Profile p = read("name: mine\nextends: strict\nseccomp: {default: allow, rules: [{action: allow, syscalls: [clone3]}]}\n").profile();
    assertThat(p.seccomp().decide("clone3", new long[6]).describe()).isEqualTo("allow");
    Profile bare = ProfileReader.read("t.yaml", """
        name: t
        mounts: []
        network: disabled
        hostname: h
        cwd: /
        uid: 1
        gid: 1
        limits: {timeout: 1s, maxTimeout: 1s, maxOutput: 1, memory: 1MiB, maxMemory: 1MiB, pids: 1, maxPids: 1, cpu: 1, maxCpu: 1, maxFileSize: 1, maxOpenFiles: 1}
        seccomp: {default: errno EPERM, rules: [{action: allow, syscalls: [read]}]}
        """, "t");
    assertThat(bare.seccomp().decide("clone3", new long[6]).describe()).isEqualTo("errno ENOSYS");
    assertThat(bare.seccomp().decide("io_uring_setup", new long[6]).describe()).isEqualTo("errno ENOSYS");
    assertThat(bare.seccomp().decide("write", new long[6]).describe()).isEqualTo("errno EPERM");
  }
}
