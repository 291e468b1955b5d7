package dev.phantom.policy.core;

import static dev.phantom.policy.core.TestProfiles.BUILTIN;
import static dev.phantom.policy.core.TestProfiles.SYSCALLS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class SeccompCompilerTest {

  private static final int EPERM = Seccomp.RET_ERRNO | Errno.EPERM;
  private static final int ENOSYS = Seccomp.RET_ERRNO | Errno.ENOSYS;
  private static final int ALLOW = Seccomp.RET_ALLOW;
  private static final int KILL = Seccomp.RET_KILL_PROCESS;
  private static final int AUDIT_ARCH_I386 = 0x40000003;

  private final SeccompCompiler compiler = new SeccompCompiler(SYSCALLS);

  private static int nr(Arch arch, String name) {
    return SYSCALLS.table(arch).number(name).orElseThrow(() -> new AssertionError(name + " not on " + arch));
  }

  static Stream<Arguments> minimalProfileCases() {
    List<Arguments> cases = new ArrayList<>();
    for (Arch arch : Arch.values()) {
      for (String denied : List.of("mount", "umount2", "pivot_root", "unshare", "setns", "ptrace", "bpf",
          "keyctl", "add_key", "request_key", "perf_event_open", "userfaultfd", "kexec_load", "init_module",
          "finit_module", "delete_module", "reboot", "swapon", "swapoff", "settimeofday", "clock_settime",
          "sethostname", "setdomainname", "open_by_handle_at", "io_uring_setup", "io_uring_enter", "acct")) {
        cases.add(Arguments.of(arch, denied, nr(arch, denied), arch.auditArch(), EPERM));
      }
      cases.add(Arguments.of(arch, "clone3", nr(arch, "clone3"), arch.auditArch(), ENOSYS));
      for (String allowed : List.of("read", "write", "openat", "execve", "clone", "exit_group", "mmap",
          "rt_sigaction", "wait4", "getpid")) {
        cases.add(Arguments.of(arch, allowed, nr(arch, allowed), arch.auditArch(), ALLOW));
      }
      // The filter must look at the arch before the number: on another ABI numbers mean other calls.
      int otherArch = arch == Arch.X86_64 ? Arch.AARCH64.auditArch() : Arch.X86_64.auditArch();
      cases.add(Arguments.of(arch, "read on a foreign arch", nr(arch, "read"), otherArch, KILL));
      cases.add(Arguments.of(arch, "i386 call", 1, AUDIT_ARCH_I386, KILL));
    }
    // x32 calls report AUDIT_ARCH_X86_64 and set bit 30 of the number.
    cases.add(Arguments.of(Arch.X86_64, "x32 read", Seccomp.X32_SYSCALL_BIT, Arch.X86_64.auditArch(), KILL));
    cases.add(Arguments.of(Arch.X86_64, "x32 mount", Seccomp.X32_SYSCALL_BIT | nr(Arch.X86_64, "mount"),
        Arch.X86_64.auditArch(), KILL));
    cases.add(Arguments.of(Arch.X86_64, "nr -1", -1, Arch.X86_64.auditArch(), KILL));
    // aarch64 has no x32-like ABI: a huge number is just an unknown syscall, which the kernel fails with ENOSYS.
    cases.add(Arguments.of(Arch.AARCH64, "bit 30 set", Seccomp.X32_SYSCALL_BIT, Arch.AARCH64.auditArch(), ALLOW));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} -> {4}")
  @MethodSource("minimalProfileCases")
  void minimalProfile(Arch arch, String what, int nr, int auditArch, int expected) {
    BpfProgram program = compiler.compile(BUILTIN.get("minimal").seccomp(), arch);
    assertThat(Integer.toHexString(BpfInterpreter.run(program, nr, auditArch)))
        .as("%s on %s", what, arch).isEqualTo(Integer.toHexString(expected));
  }

  /** Every syscall of the table gets exactly what the profile says, nothing more, nothing less. */
  @ParameterizedTest
  @EnumSource(Arch.class)
  void everySyscallOfTheTableGetsTheProfilesAnswer(Arch arch) {
    for (String profile : BUILTIN.keySet()) {
      SeccompPolicy policy = BUILTIN.get(profile).seccomp();
      Map<String, Integer> expected = new HashMap<>();
      for (SeccompRule rule : policy.rules()) {
        rule.syscalls().forEach(s -> expected.put(s, rule.action().returnValue()));
      }
      BpfProgram program = compiler.compile(policy, arch);
      SYSCALLS.table(arch).numbers().forEach((name, number) ->
          assertThat(BpfInterpreter.run(program, number, arch.auditArch()))
              .as("%s: %s (%d) on %s", profile, name, number, arch)
              .isEqualTo(expected.getOrDefault(name, policy.defaultAction().returnValue())));
    }
  }

  @Test
  void goldenProgramForOneDeniedSyscall() {
    SeccompPolicy policy = new SeccompPolicy(SeccompAction.ALLOW,
        List.of(new SeccompRule(List.of("mount"), SeccompAction.errno(Errno.EPERM))));
    BpfProgram program = compiler.compile(policy, Arch.X86_64);
    assertThat(program.instructions()).containsExactly(
        new BpfInstruction(0x20, 0, 0, 4),
        new BpfInstruction(0x15, 1, 0, 0xC000003E),
        new BpfInstruction(0x06, 0, 0, 0x80000000),
        new BpfInstruction(0x20, 0, 0, 0),
        new BpfInstruction(0x35, 0, 1, 0x40000000),
        new BpfInstruction(0x06, 0, 0, 0x80000000),
        new BpfInstruction(0x15, 1, 0, 165),
        new BpfInstruction(0x06, 0, 0, 0x7fff0000),
        new BpfInstruction(0x06, 0, 0, 0x00050001));
    byte[] bytes = program.toBytes();
    assertThat(bytes).hasSize(9 * 8);
    ByteBuffer second = ByteBuffer.wrap(bytes, 8, 8).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(second.getShort()).isEqualTo((short) 0x15);
    assertThat(second.get()).isEqualTo((byte) 1);
    assertThat(second.get()).isEqualTo((byte) 0);
    assertThat(second.getInt()).isEqualTo(0xC000003E);
  }

  @Test
  void aSyscallMissingOnOneArchIsSkippedThere() {
    SeccompPolicy policy = new SeccompPolicy(SeccompAction.ALLOW,
        List.of(new SeccompRule(List.of("open", "iopl"), SeccompAction.errno(Errno.EPERM))));
    BpfProgram aarch64 = compiler.compile(policy, Arch.AARCH64);
    BpfProgram x86 = compiler.compile(policy, Arch.X86_64);
    assertThat(aarch64.size()).isEqualTo(x86.size() - 2 - 2); // no x32 check, no two JEQs
    assertThat(BpfInterpreter.run(x86, nr(Arch.X86_64, "open"), Arch.X86_64.auditArch())).isEqualTo(EPERM);
    // number 2 is not 'open' on aarch64 (it is io_submit) and must stay allowed
    assertThat(BpfInterpreter.run(aarch64, 2, Arch.AARCH64.auditArch())).isEqualTo(ALLOW);
  }

  @Test
  void unknownSyscallsAreNamed() {
    SeccompPolicy policy = new SeccompPolicy(SeccompAction.ALLOW,
        List.of(new SeccompRule(List.of("mount", "frobnicate", "mount_everything"), SeccompAction.errno(Errno.EPERM))));
    assertThatThrownBy(() -> compiler.compile(policy, Arch.X86_64))
        .isInstanceOfSatisfying(CompileException.class,
            e -> assertThat(e.reason()).isEqualTo(CompileException.Reason.UNKNOWN_SYSCALL))
        .hasMessageContaining("'frobnicate'")
        .hasMessageContaining("'mount_everything'");
  }

  @Test
  void aSyscallInTwoRulesIsRefused() {
    SeccompPolicy policy = new SeccompPolicy(SeccompAction.ALLOW, List.of(
        new SeccompRule(List.of("mount"), SeccompAction.errno(Errno.EPERM)),
        new SeccompRule(List.of("mount"), SeccompAction.KILL_PROCESS)));
    assertThatThrownBy(() -> compiler.compile(policy, Arch.X86_64))
        .isInstanceOfSatisfying(CompileException.class,
            e -> assertThat(e.reason()).isEqualTo(CompileException.Reason.DUPLICATE_SYSCALL))
        .hasMessageContaining("'mount'");
  }

  @Test
  void listsBeyondOneByteJumpsFailClearly() {
    List<String> many = SYSCALLS.table(Arch.X86_64).numbers().keySet().stream().limit(300).toList();
    SeccompPolicy policy = new SeccompPolicy(SeccompAction.ALLOW,
        List.of(new SeccompRule(many, SeccompAction.errno(Errno.EPERM))));
    assertThatThrownBy(() -> compiler.compile(policy, Arch.X86_64))
        .isInstanceOfSatisfying(CompileException.class,
            e -> assertThat(e.reason()).isEqualTo(CompileException.Reason.JUMP_TOO_FAR))
        .hasMessageContaining("255");
  }

  @Test
  void theLongestListThatFitsStillWorks() {
    // 255 checks + default + one action: the first JEQ jumps exactly 255 forward.
    List<String> names = SYSCALLS.table(Arch.AARCH64).numbers().keySet().stream().limit(255).toList();
    SeccompPolicy policy = new SeccompPolicy(SeccompAction.ALLOW,
        List.of(new SeccompRule(names, new SeccompAction.Trap())));
    BpfProgram program = compiler.compile(policy, Arch.AARCH64);
    for (String name : names) {
      assertThat(BpfInterpreter.run(program, nr(Arch.AARCH64, name), Arch.AARCH64.auditArch()))
          .as(name).isEqualTo(Seccomp.RET_TRAP);
    }
  }
}
