package dev.phantom.policy.core;

import static dev.phantom.policy.core.TestProfiles.BUILTIN;
import static dev.phantom.policy.core.TestProfiles.SYSCALLS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
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
    // aarch64 has no x32-like ABI: a huge number is just an unknown syscall: ENOSYS, as for any number above the table.
    cases.add(Arguments.of(Arch.AARCH64, "bit 30 set", Seccomp.X32_SYSCALL_BIT, Arch.AARCH64.auditArch(), ENOSYS));
    for (Arch arch : Arch.values()) {
      int above = SYSCALLS.highest(arch) + 1;
      cases.add(Arguments.of(arch, "first number above the table", above, arch.auditArch(), ENOSYS));
      cases.add(Arguments.of(arch, "number 1000", 1000, arch.auditArch(), ENOSYS));
    }
    cases.add(Arguments.of(Arch.AARCH64, "nr -1", -1, Arch.AARCH64.auditArch(), ENOSYS));
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
      BpfProgram program = compiler.compile(policy, arch);
      SYSCALLS.table(arch).numbers().forEach((name, number) ->
          assertThat(BpfInterpreter.run(program, number, arch.auditArch()))
              .as("%s: %s (%d) on %s", profile, name, number, arch)
              .isEqualTo(policy.decide(name, new long[6]).returnValue()));
    }
  }

  @Test
  void goldenProgramForOneDeniedSyscall() {
    SeccompPolicy policy = new SeccompPolicy(SeccompAction.ALLOW,
        List.of(new SeccompRule(List.of("mount"), SeccompAction.errno(Errno.EPERM))));
    BpfProgram program = compiler.compile(policy, Arch.X86_64);
    // ranges [0,165) allow, [165] EPERM, [166,451) allow, [451,...) ENOSYS: two units (an allowed
    // background with mount picked out by one jeq, and ENOSYS), one jge between them, shared returns
    assertThat(program.instructions()).containsExactly(
        new BpfInstruction(0x20, 0, 0, 4),
        new BpfInstruction(0x15, 0, 4, 0xC000003E),
        new BpfInstruction(0x20, 0, 0, 0),
        new BpfInstruction(0x35, 2, 0, 0x40000000),
        new BpfInstruction(0x35, 2, 0, 451),
        new BpfInstruction(0x15, 2, 3, 165),
        new BpfInstruction(0x06, 0, 0, 0x80000000),
        new BpfInstruction(0x06, 0, 0, 0x00050026),
        new BpfInstruction(0x06, 0, 0, 0x00050001),
        new BpfInstruction(0x06, 0, 0, 0x7fff0000));
    byte[] bytes = program.toBytes();
    assertThat(bytes).hasSize(10 * 8);
    ByteBuffer second = ByteBuffer.wrap(bytes, 8, 8).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(second.getShort()).isEqualTo((short) 0x15);
    assertThat(second.get()).isEqualTo((byte) 0);
    assertThat(second.get()).isEqualTo((byte) 4);
    assertThat(second.getInt()).isEqualTo(0xC000003E);
  }

  /** Each answer is one RET at the end that the dispatch and the argument blocks jump to. */
  @ParameterizedTest
  @EnumSource(Arch.class)
  void everyAnswerIsOneSharedReturn(Arch arch) {
    List<SeccompPolicy> policies = new ArrayList<>();
    BUILTIN.values().forEach(p -> policies.add(p.seccomp()));
    policies.add(TestProfiles.dockerDefault().seccomp());
    for (SeccompPolicy policy : policies) {
      BpfProgram program = compiler.compile(policy, arch);
      List<Integer> returns = program.instructions().stream()
          .filter(i -> (i.code() & 0x07) == Bpf.RET).map(BpfInstruction::k).toList();
      assertThat(returns).doesNotHaveDuplicates();
      assertThat(program.instructions().subList(program.size() - returns.size(), program.size()))
          .as("the returns close the program").allMatch(i -> (i.code() & 0x07) == Bpf.RET);
    }
  }

  @Test
  void singleNumbersInsideARangeArePickedOutByJeq() {
    // x86_64: ptrace 101, pivot_root 155, mount 165, umount2 166, so eight ranges: a search over them
    // needs seven jge. Here the allowed background with ptrace and pivot_root picked out by jeq is one
    // unit; mount+umount2 (two numbers), the allowed rest and ENOSYS are one each: three jge
    SeccompPolicy policy = new SeccompPolicy(SeccompAction.ALLOW, List.of(new SeccompRule(
        List.of("mount", "umount2", "pivot_root", "ptrace"), SeccompAction.errno(Errno.EPERM))));
    BpfProgram program = compiler.compile(policy, Arch.X86_64);
    long jeqs = program.instructions().stream().filter(i -> i.code() == (Bpf.JMP | Bpf.JEQ | Bpf.K)).count();
    long jges = program.instructions().stream().filter(i -> i.code() == (Bpf.JMP | Bpf.JGE | Bpf.K)).count();
    assertThat(jeqs).as("arch check + ptrace + pivot_root").isEqualTo(3);
    assertThat(jges).as("x32 check + three splits").isEqualTo(4);
    for (String name : List.of("mount", "umount2", "pivot_root", "ptrace")) {
      assertThat(BpfInterpreter.run(program, nr(Arch.X86_64, name), Arch.X86_64.auditArch())).as(name).isEqualTo(EPERM);
    }
    for (int n : List.of(100, 102, 154, 156, 164, 167, 450)) {
      assertThat(BpfInterpreter.run(program, n, Arch.X86_64.auditArch())).as("nr %d", n).isEqualTo(ALLOW);
    }
  }

  @Test
  void aSyscallMissingOnOneArchIsSkippedThere() {
    SeccompPolicy policy = new SeccompPolicy(SeccompAction.ALLOW,
        List.of(new SeccompRule(List.of("open", "iopl"), SeccompAction.errno(Errno.EPERM))));
    BpfProgram aarch64 = compiler.compile(policy, Arch.AARCH64);
    BpfProgram x86 = compiler.compile(policy, Arch.X86_64);
    assertThat(BpfInterpreter.run(x86, nr(Arch.X86_64, "open"), Arch.X86_64.auditArch())).isEqualTo(EPERM);
    assertThat(BpfInterpreter.run(x86, nr(Arch.X86_64, "iopl"), Arch.X86_64.auditArch())).isEqualTo(EPERM);
    // number 2 is not 'open' on aarch64 (it is io_submit) and must stay allowed
    assertThat(BpfInterpreter.run(aarch64, 2, Arch.AARCH64.auditArch())).isEqualTo(ALLOW);
    assertThat(aarch64.size()).as("aarch64: only the default and ENOSYS above the table").isEqualTo(7);
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
  void longListsNeedNoLongJumps() {
    // every other syscall denied: ~180 ranges, still a shallow tree
    List<String> many = new ArrayList<>();
    SYSCALLS.table(Arch.X86_64).numbers().forEach((name, number) -> {
      if (number % 2 == 0) {
        many.add(name);
      }
    });
    SeccompPolicy policy = new SeccompPolicy(SeccompAction.ALLOW,
        List.of(new SeccompRule(many, SeccompAction.errno(Errno.EPERM))));
    BpfProgram program = compiler.compile(policy, Arch.X86_64);
    SYSCALLS.table(Arch.X86_64).numbers().forEach((name, number) ->
        assertThat(BpfInterpreter.run(program, number, Arch.X86_64.auditArch()))
            .as(name).isEqualTo(number % 2 == 0 ? EPERM : ALLOW));
    assertThat(BpfAnalysis.worstPath(program)).as("6 + log2(ranges) + 1").isLessThanOrEqualTo(6 + 9 + 1);
  }

  @Test
  void theWholeTableInOneRuleWorks() {
    List<String> names = List.copyOf(SYSCALLS.table(Arch.AARCH64).numbers().keySet());
    SeccompPolicy policy = new SeccompPolicy(SeccompAction.ALLOW,
        List.of(new SeccompRule(names, new SeccompAction.Trap())));
    BpfProgram program = compiler.compile(policy, Arch.AARCH64);
    for (String name : names) {
      assertThat(BpfInterpreter.run(program, nr(Arch.AARCH64, name), Arch.AARCH64.auditArch()))
          .as(name).isEqualTo(Seccomp.RET_TRAP);
    }
  }

  private static final long AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, AF_PACKET = 17, AF_VSOCK = 40;
  private static final long SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3;
  private static final long SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
  private static final long TIOCSTI = 0x5412, TIOCGWINSZ = 0x5413, TCGETS = 0x5401;
  private static final long CLONE_NEWUSER = 0x10000000, CLONE_NEWNS = 0x20000, CLONE_NEWNET = 0x40000000;
  private static final long THREAD_FLAGS = 0x3d0f00; // glibc pthread_create: VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID
  private static final long FORK_FLAGS = 0x1200011; // CHILD_SETTID|CHILD_CLEARTID|SIGCHLD
  private static final long HIGH = 0x1_0000_0000L; // a bit the kernel drops from int arguments

  /** Argument conditions of the built-in filters, per arch: syscall, args, expected answer. */
  static Stream<Arguments> argumentCases() {
    List<Arguments> cases = new ArrayList<>();
    for (String profile : List.of("minimal", "python-dev", "strict")) {
      boolean strict = profile.equals("strict");
      int inetAnswer = strict ? Seccomp.RET_ERRNO | 97 : ALLOW; // strict: EAFNOSUPPORT
      for (Arch arch : Arch.values()) {
        cases.add(Arguments.of(profile, arch, "socket", new long[] {AF_PACKET, SOCK_RAW, 0x300}, EPERM));
        cases.add(Arguments.of(profile, arch, "socket", new long[] {AF_PACKET, SOCK_DGRAM, 0}, EPERM));
        cases.add(Arguments.of(profile, arch, "socket", new long[] {AF_PACKET | HIGH, SOCK_DGRAM, 0}, EPERM));
        cases.add(Arguments.of(profile, arch, "socket", new long[] {AF_INET, SOCK_RAW, 1}, EPERM));
        cases.add(Arguments.of(profile, arch, "socket", new long[] {AF_INET6, SOCK_RAW | SOCK_CLOEXEC, 58}, EPERM));
        cases.add(Arguments.of(profile, arch, "socket", new long[] {AF_INET, SOCK_RAW | SOCK_NONBLOCK | HIGH, 1}, EPERM));
        cases.add(Arguments.of(profile, arch, "socket", new long[] {AF_VSOCK, SOCK_STREAM, 0}, EPERM));
        cases.add(Arguments.of(profile, arch, "socket", new long[] {AF_INET, SOCK_STREAM, 0}, inetAnswer));
        cases.add(Arguments.of(profile, arch, "socket", new long[] {AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0}, inetAnswer));
        cases.add(Arguments.of(profile, arch, "socket", new long[] {AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0}, ALLOW));
        cases.add(Arguments.of(profile, arch, "socket", new long[] {AF_UNIX | HIGH, SOCK_DGRAM, 0}, ALLOW));
        cases.add(Arguments.of(profile, arch, "ioctl", new long[] {0, TIOCSTI, 0x1234}, EPERM));
        cases.add(Arguments.of(profile, arch, "ioctl", new long[] {5, TIOCSTI | 0xffff_ffff_0000_0000L, 0}, EPERM));
        cases.add(Arguments.of(profile, arch, "ioctl", new long[] {0, 0x541C, 0}, EPERM)); // TIOCLINUX
        cases.add(Arguments.of(profile, arch, "ioctl", new long[] {0, TIOCGWINSZ, 0x1234}, ALLOW));
        cases.add(Arguments.of(profile, arch, "ioctl", new long[] {0, TCGETS, 0}, ALLOW));
        cases.add(Arguments.of(profile, arch, "ioctl", new long[] {0, TIOCSTI + HIGH * 0 + 0x10000, 0}, ALLOW));
        cases.add(Arguments.of(profile, arch, "clone", new long[] {CLONE_NEWUSER | 17, 0, 0, 0, 0}, EPERM));
        cases.add(Arguments.of(profile, arch, "clone", new long[] {CLONE_NEWNS | FORK_FLAGS, 0, 0, 0, 0}, EPERM));
        cases.add(Arguments.of(profile, arch, "clone", new long[] {CLONE_NEWNET | CLONE_NEWUSER, 0, 0, 0, 0}, EPERM));
        cases.add(Arguments.of(profile, arch, "clone", new long[] {THREAD_FLAGS, 0x7f00_0000_0000L, 1, 2, 3}, ALLOW));
        cases.add(Arguments.of(profile, arch, "clone", new long[] {FORK_FLAGS, 0, 0, 0, 0}, ALLOW));
        cases.add(Arguments.of(profile, arch, "clone", new long[] {0x80 | 17, 0, 0, 0, 0}, ALLOW)); // exit-signal bits
        cases.add(Arguments.of(profile, arch, "personality", new long[] {0xffffffffL}, ALLOW));
        cases.add(Arguments.of(profile, arch, "personality", new long[] {0}, ALLOW));
        cases.add(Arguments.of(profile, arch, "personality", new long[] {0x0040000}, EPERM)); // ADDR_NO_RANDOMIZE
        cases.add(Arguments.of(profile, arch, "clone3", new long[] {0, 88}, ENOSYS));
        cases.add(Arguments.of(profile, arch, "unshare", new long[] {CLONE_NEWUSER}, EPERM));
        cases.add(Arguments.of(profile, arch, "read", new long[] {0, TIOCSTI, AF_PACKET}, ALLOW));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} {2}{3} -> {4}")
  @MethodSource("argumentCases")
  void argumentConditionsOfTheBuiltins(String profile, Arch arch, String syscall, long[] args, int expected) {
    SeccompPolicy policy = BUILTIN.get(profile).seccomp();
    BpfProgram program = compiler.compile(policy, arch);
    assertThat(Integer.toHexString(BpfInterpreter.run(program, nr(arch, syscall), arch.auditArch(), args)))
        .as("%s on %s", syscall, arch).isEqualTo(Integer.toHexString(expected));
    assertThat(policy.decide(syscall, args).returnValue()).as("reference semantics").isEqualTo(expected);
  }

  /** The compiled filter agrees with the reference semantics on many argument combinations. */
  @ParameterizedTest
  @EnumSource(Arch.class)
  void filtersAgreeWithTheReferenceOnManyArguments(Arch arch) {
    long[] interesting = {0, 1, 2, 3, 10, 17, 40, 0xf, 0x13, 0x803, 0x80003, 0x5412, 0x541C, 0x5413,
        0x10000000, 0x20000, 0x3d0f00, 0x7e020000, 0xffffffffL, 0x1_0000_0011L, 0xffff_ffff_0000_5412L, -1L};
    java.util.Random random = new java.util.Random(42);
    for (String profile : BUILTIN.keySet()) {
      SeccompPolicy policy = BUILTIN.get(profile).seccomp();
      BpfProgram program = compiler.compile(policy, arch);
      for (String syscall : List.of("socket", "ioctl", "clone", "personality", "socketpair")) {
        for (int i = 0; i < 400; i++) {
          long[] args = new long[6];
          for (int a = 0; a < 6; a++) {
            args[a] = random.nextInt(4) == 0 ? random.nextLong() : interesting[random.nextInt(interesting.length)];
          }
          assertThat(BpfInterpreter.run(program, nr(arch, syscall), arch.auditArch(), args))
              .as("%s %s %s on %s", profile, syscall, java.util.Arrays.toString(args), arch)
              .isEqualTo(policy.decide(syscall, args).returnValue());
        }
      }
    }
  }

  @Test
  void sixtyFourBitConditionsCheckBothHalves() {
    SeccompPolicy policy = new SeccompPolicy(SeccompAction.ALLOW, List.of(
        new SeccompRule(List.of("read"), List.of(ArgCondition.eq(2, 0x1_0000_0002L)), SeccompAction.errno(Errno.EPERM)),
        new SeccompRule(List.of("read"), List.of(new ArgCondition(3, 0xff00_0000_0000_00ffL, 0x0100_0000_0000_0002L,
            false, false)), new SeccompAction.Trap())));
    for (Arch arch : Arch.values()) {
      BpfProgram program = compiler.compile(policy, arch);
      int read = nr(arch, "read");
      assertThat(BpfInterpreter.run(program, read, arch.auditArch(), new long[] {0, 0, 0x1_0000_0002L, 0x0100_0000_0000_0002L}))
          .isEqualTo(EPERM);
      assertThat(BpfInterpreter.run(program, read, arch.auditArch(), new long[] {0, 0, 2, 0x01ff_ffff_ffff_ff02L}))
          .as("low half equal, high differs; masked arg3 equal").isEqualTo(ALLOW);
      assertThat(BpfInterpreter.run(program, read, arch.auditArch(), new long[] {0, 0, 2, 0x0200_0000_0000_0002L}))
          .as("!= holds through the high half").isEqualTo(Seccomp.RET_TRAP);
      assertThat(BpfInterpreter.run(program, read, arch.auditArch(), new long[] {0, 0, 2, 0x0100_0000_0000_0003L}))
          .as("!= holds through the low half").isEqualTo(Seccomp.RET_TRAP);
    }
  }

  @Test
  void goldenProgramForAConditionalRule() {
    SeccompPolicy policy = new SeccompPolicy(SeccompAction.ALLOW, List.of(
        new SeccompRule(List.of("ioctl"), List.of(ArgCondition.eq32(1, 0x5412)), SeccompAction.errno(Errno.EPERM)),
        new SeccompRule(List.of("socket"), List.of(new ArgCondition(1, 0xf, 3, true, true)),
            SeccompAction.errno(Errno.EPERM)),
        new SeccompRule(List.of("mount"), SeccompAction.errno(Errno.EPERM))));
    assertThat(Disassembler.listing(compiler.compile(policy, Arch.AARCH64), SYSCALLS.table(Arch.AARCH64))).isEqualTo("""
        0000: ld   [4]                       ; arch
        0001: jeq  #0xc00000b7, 0002, 0012   ; aarch64
        0002: ld   [0]                       ; nr
        0003: jge  #0x1c3, 0013, 0004
        0004: jeq  #0xc6, 0007, 0005         ; socket
        0005: jeq  #0x1d, 0010, 0006         ; ioctl
        0006: jeq  #0x28, 0014, 0015         ; mount
        0007: ld   [24]                      ; args[1] low
        0008: and  #0xf
        0009: jeq  #0x3, 0014, 0015
        0010: ld   [24]                      ; args[1] low
        0011: jeq  #0x5412, 0014, 0015
        0012: ret  #0x80000000               ; KILL_PROCESS
        0013: ret  #0x00050026               ; ERRNO(38 ENOSYS)
        0014: ret  #0x00050001               ; ERRNO(1 EPERM)
        0015: ret  #0x7fff0000               ; ALLOW
        """);
  }

  @Test
  void aRuleAfterAnUnconditionalOneForTheSameSyscallIsRefused() {
    SeccompPolicy policy = new SeccompPolicy(SeccompAction.ALLOW, List.of(
        new SeccompRule(List.of("socket"), SeccompAction.errno(Errno.EPERM)),
        new SeccompRule(List.of("socket"), List.of(ArgCondition.eq32(0, 17)), SeccompAction.KILL_PROCESS)));
    assertThatThrownBy(() -> compiler.compile(policy, Arch.X86_64))
        .isInstanceOfSatisfying(CompileException.class,
            e -> assertThat(e.reason()).isEqualTo(CompileException.Reason.DUPLICATE_SYSCALL))
        .hasMessageContaining("'socket'").hasMessageContaining("could never match");
    // the other way round is the point of several rules: conditions first, then the fallback
    SeccompPolicy fine = new SeccompPolicy(SeccompAction.ALLOW, List.of(policy.rules().get(1), policy.rules().get(0)));
    BpfProgram program = compiler.compile(fine, Arch.X86_64);
    assertThat(BpfInterpreter.run(program, 41, Arch.X86_64.auditArch(), new long[] {17})).isEqualTo(KILL);
    assertThat(BpfInterpreter.run(program, 41, Arch.X86_64.auditArch(), new long[] {2})).isEqualTo(EPERM);
  }

  @Test
  void conditionBlocksBeyondOneByteJumpsGoThroughTrampolines() {
    List<SeccompRule> rules = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      // distinct high halves: no run shares its high-half check, so every rule is 4 instructions
      rules.add(new SeccompRule(List.of("ioctl"), List.of(ArgCondition.eq(1, ((long) i << 32) | i)),
          SeccompAction.errno(Errno.EPERM)));
    }
    // socket (41) sorts after ioctl (16), so the dispatch has to jump over ioctl's 300-instruction block
    rules.add(new SeccompRule(List.of("socket"), List.of(ArgCondition.eq(0, 1)), SeccompAction.errno(13)));
    SeccompPolicy policy = new SeccompPolicy(SeccompAction.ALLOW, rules);
    BpfProgram program = compiler.compile(policy, Arch.X86_64);
    assertThat(program.instructions()).as("a JA stand-in").anyMatch(i -> i.code() == (Bpf.JMP | Bpf.JA));
    assertThat(program.instructions().stream().filter(i -> i.code() == (Bpf.RET | Bpf.K) && i.k() == EPERM).count())
        .as("far jumps to a return get a copy of it").isGreaterThan(1);
    assertThat(BpfInterpreter.run(program, 41, Arch.X86_64.auditArch(), new long[] {1})).isEqualTo(Seccomp.RET_ERRNO | 13);
    assertThat(BpfInterpreter.run(program, 41, Arch.X86_64.auditArch(), new long[] {2})).isEqualTo(ALLOW);
    assertThat(BpfInterpreter.run(program, 16, Arch.X86_64.auditArch(), new long[] {0, (99L << 32) | 99}))
        .isEqualTo(EPERM);
    assertThat(BpfInterpreter.run(program, 16, Arch.X86_64.auditArch(), new long[] {0, 99})).isEqualTo(ALLOW);
    assertThat(BpfInterpreter.run(program, 16, Arch.X86_64.auditArch(), new long[] {0, (100L << 32) | 100}))
        .isEqualTo(ALLOW);
    assertThat(BpfInterpreter.run(program, 17, Arch.X86_64.auditArch(), new long[] {0, 1})).isEqualTo(ALLOW);
  }

  @Test
  void programsAboveTheKernelLimitFailClearly() {
    List<SeccompRule> rules = new ArrayList<>();
    for (int i = 0; i < 1400; i++) {
      // distinct high halves, so no run shares its high-half check
      rules.add(new SeccompRule(List.of("ioctl"), List.of(ArgCondition.eq(1, ((long) i << 32) | i)),
          SeccompAction.errno(Errno.EPERM)));
    }
    assertThatThrownBy(() -> compiler.compile(new SeccompPolicy(SeccompAction.ALLOW, rules), Arch.X86_64))
        .isInstanceOfSatisfying(CompileException.class,
            e -> assertThat(e.reason()).isEqualTo(CompileException.Reason.PROGRAM_TOO_LONG))
        .hasMessageContaining("4096").hasMessageContaining("x86_64");
  }

  @Test
  void consecutiveEqualityRulesCheckASharedHighHalfOnce() {
    // Docker's personality rules: five 64-bit == rules whose high half is 0
    long[] values = {0x0, 0x8, 0x20000, 0x20008, 0xffffffffL};
    List<SeccompRule> rules = new ArrayList<>();
    for (long v : values) {
      rules.add(new SeccompRule(List.of("personality"), List.of(ArgCondition.eq(0, v)), SeccompAction.ALLOW));
    }
    BpfProgram program = compiler.compile(new SeccompPolicy(SeccompAction.errno(Errno.EPERM), rules), Arch.X86_64);
    int personality = 135;
    long highLoads = program.instructions().stream()
        .filter(i -> i.code() == (Bpf.LD | Bpf.W | Bpf.ABS) && i.k() == Seccomp.offsetArgHigh(0)).count();
    assertThat(highLoads).as("one load of arg0's high half").isEqualTo(1);
    // ld hi, jeq 0, ld lo, 5 x jeq: 8 after the dispatch, where distinct high halves need 5 x 4
    List<SeccompRule> unshared = new ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      unshared.add(new SeccompRule(List.of("personality"), List.of(ArgCondition.eq(0, ((long) i << 32) | values[i])),
          SeccompAction.ALLOW));
    }
    BpfProgram longer = compiler.compile(new SeccompPolicy(SeccompAction.errno(Errno.EPERM), unshared), Arch.X86_64);
    assertThat(BpfAnalysis.worstPath(program)).isEqualTo(BpfAnalysis.worstPath(longer) - 12);
    assertThat(program.size()).isEqualTo(longer.size() - 12);
    for (long v : values) {
      assertThat(BpfInterpreter.run(program, personality, Arch.X86_64.auditArch(), new long[] {v})).isEqualTo(ALLOW);
      assertThat(BpfInterpreter.run(program, personality, Arch.X86_64.auditArch(), new long[] {v | (1L << 32)}))
          .isEqualTo(EPERM);
    }
    assertThat(BpfInterpreter.run(program, personality, Arch.X86_64.auditArch(), new long[] {0x40000}))
        .isEqualTo(EPERM);

    // a later condition of the same rule on the same high half is not checked again; another
    // argument or high half breaks the run
    List<SeccompRule> mixed = List.of(
        new SeccompRule(List.of("ioctl"), List.of(ArgCondition.eq(1, 5), new ArgCondition(1, ArgCondition.Op.EQ,
            0xffffffff_000000ffL, 5, false)), SeccompAction.errno(1)),
        new SeccompRule(List.of("ioctl"), List.of(ArgCondition.eq(1, 6)), SeccompAction.errno(2)),
        new SeccompRule(List.of("ioctl"), List.of(ArgCondition.eq(2, 7)), SeccompAction.errno(3)),
        new SeccompRule(List.of("ioctl"), List.of(ArgCondition.eq(1, (1L << 32) | 8)), SeccompAction.errno(4)));
    BpfProgram p = compiler.compile(new SeccompPolicy(SeccompAction.ALLOW, mixed), Arch.X86_64);
    SeccompPolicy policy = new SeccompPolicy(SeccompAction.ALLOW, mixed);
    for (long a1 : new long[] {5, 6, 8, (1L << 32) | 8, (1L << 32) | 5, (1L << 32) | 6, 7}) {
      for (long a2 : new long[] {7, (1L << 32) | 7, 0}) {
        long[] args = {0, a1, a2};
        assertThat(BpfInterpreter.run(p, 16, Arch.X86_64.auditArch(), args))
            .as("ioctl(%x, %x)", a1, a2).isEqualTo(policy.decide("ioctl", args).returnValue());
      }
    }
  }
}
