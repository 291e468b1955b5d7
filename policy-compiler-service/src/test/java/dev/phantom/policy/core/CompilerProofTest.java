package dev.phantom.policy.core;

import static dev.phantom.policy.core.TestProfiles.BUILTIN;
import static dev.phantom.policy.core.TestProfiles.SYSCALLS;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Proof (a): the compiled program, run in the interpreter, answers exactly what the model says
 * (evaluated directly by {@link ReferenceEvaluator}) for every syscall number of each arch, the numbers
 * around and above the table, foreign arches and x32, and sampled argument vectors; for the shipped
 * profiles, the Docker-like benchmark profile and random policies using every operator.
 */
class CompilerProofTest {

  private static final ReferenceEvaluator REFERENCE = new ReferenceEvaluator(SYSCALLS);
  private final SeccompCompiler compiler = new SeccompCompiler(SYSCALLS);

  static Map<String, SeccompPolicy> policies() {
    Map<String, SeccompPolicy> all = new LinkedHashMap<>();
    BUILTIN.forEach((name, p) -> all.put(name, p.seccomp()));
    all.put("docker-default", TestProfiles.dockerDefault().seccomp());
    Random random = new Random(4);
    for (int i = 0; i < 60; i++) {
      all.put("random-" + i, RandomPolicies.generate(random, SYSCALLS, i % 2 == 0));
    }
    return all;
  }

  static List<Integer> numbers(Arch arch) {
    List<Integer> nrs = new ArrayList<>();
    int highest = SYSCALLS.highest(arch);
    for (int nr = 0; nr <= highest + 64; nr++) {
      nrs.add(nr);
    }
    nrs.addAll(List.of(-1, 1 << 16, 0x3fffffff, Seccomp.X32_SYSCALL_BIT, Seccomp.X32_SYSCALL_BIT | 1,
        Seccomp.X32_SYSCALL_BIT + highest, 0x7fffffff, Integer.MIN_VALUE));
    return nrs;
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void everyNumberAndSampledArgumentsAgreeWithTheModel(Arch arch) {
    Random random = new Random(arch.ordinal() * 31L + 7);
    long checks = 0;
    int foreign = arch == Arch.X86_64 ? Arch.AARCH64.auditArch() : Arch.X86_64.auditArch();
    for (Map.Entry<String, SeccompPolicy> e : policies().entrySet()) {
      SeccompPolicy policy = e.getValue();
      BpfProgram program = compiler.compile(policy, arch);
      assertThat(program.size()).isLessThanOrEqualTo(Bpf.MAX_INSTRUCTIONS);
      for (int nr : numbers(arch)) {
        for (int sample = 0; sample < 4; sample++) {
          long[] args = sample == 0 ? new long[6] : RandomPolicies.arguments(random, policy);
          int expected = REFERENCE.decide(policy, arch, arch.auditArch(), nr, args);
          int actual = BpfInterpreter.run(program, nr, arch.auditArch(), args);
          if (actual != expected) {
            throw new AssertionError(String.format("%s on %s: nr %d (%s) args %s: filter 0x%08x, model 0x%08x",
                e.getKey(), arch, nr, REFERENCE.name(arch, nr), Arrays.toString(args), actual, expected));
          }
          checks++;
        }
        assertThat(BpfInterpreter.run(program, nr, foreign)).isEqualTo(Seccomp.RET_KILL_PROCESS);
      }
      // many more vectors for the syscalls that have conditions
      for (SeccompRule rule : policy.rules()) {
        if (rule.unconditional()) {
          continue;
        }
        for (String name : rule.syscalls()) {
          var number = SYSCALLS.table(arch).number(name);
          if (number.isEmpty()) {
            continue;
          }
          for (int i = 0; i < 300; i++) {
            long[] args = RandomPolicies.arguments(random, policy);
            int expected = REFERENCE.decide(policy, arch, arch.auditArch(), number.getAsInt(), args);
            int actual = BpfInterpreter.run(program, number.getAsInt(), arch.auditArch(), args);
            if (actual != expected) {
              throw new AssertionError(String.format("%s on %s: %s args %s: filter 0x%08x, model 0x%08x",
                  e.getKey(), arch, name, Arrays.toString(args), actual, expected));
            }
            checks++;
          }
        }
      }
    }
    assertThat(checks).isGreaterThan(100_000);
  }

  /**
   * The kernel caches "always allowed" per syscall number by running the filter with the arguments
   * unknown: any syscall whose answer does not depend on arguments must not load them on its path.
   */
  @ParameterizedTest
  @EnumSource(Arch.class)
  void argumentFreeSyscallsNeverLoadArguments(Arch arch) {
    for (Map.Entry<String, SeccompPolicy> e : policies().entrySet()) {
      BpfProgram program = compiler.compile(e.getValue(), arch);
      SYSCALLS.table(arch).numbers().forEach((name, nr) -> {
        boolean conditional = e.getValue().rules().stream()
            .anyMatch(r -> r.syscalls().contains(name) && !r.unconditional());
        assertThat(BpfInterpreter.readsBeyondNrAndArch(program, nr, arch.auditArch()))
            .as("%s: %s on %s", e.getKey(), name, arch).isEqualTo(conditional);
      });
    }
  }

  /**
   * The same through the kernel's own test ({@link KernelActionCache}): every syscall the policy
   * allows whatever its arguments is one the kernel caches as allowed, so the filter never runs for
   * it; every other one (conditions, or another answer) is not.
   */
  @ParameterizedTest
  @EnumSource(Arch.class)
  void theKernelCachesExactlyTheArgumentFreeAllows(Arch arch) {
    for (Map.Entry<String, SeccompPolicy> e : policies().entrySet()) {
      SeccompPolicy policy = e.getValue();
      BpfProgram program = compiler.compile(policy, arch);
      SYSCALLS.table(arch).numbers().forEach((name, nr) -> {
        boolean conditional = policy.rules().stream().anyMatch(r -> r.syscalls().contains(name) && !r.unconditional());
        boolean allowed = policy.decide(name, new long[6]).equals(SeccompAction.ALLOW);
        assertThat(KernelActionCache.alwaysAllowed(program, nr, arch.auditArch()))
            .as("%s: %s on %s", e.getKey(), name, arch).isEqualTo(allowed && !conditional);
      });
    }
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void outputIsDeterministicAndTheDispatchIsLogarithmic(Arch arch) {
    for (Map.Entry<String, SeccompPolicy> e : policies().entrySet()) {
      BpfProgram a = compiler.compile(e.getValue(), arch);
      BpfProgram b = new SeccompCompiler(SYSCALLS).compile(e.getValue(), arch);
      assertThat(a.toBytes()).isEqualTo(b.toBytes());
    }
    // argument-free dispatch depth for the Docker-like allow list: prefix + ceil(log2(ranges)) + ret
    BpfProgram docker = compiler.compile(TestProfiles.dockerDefault().seccomp(), arch);
    int worstArgumentFree = 0;
    for (var e : SYSCALLS.table(arch).numbers().entrySet()) {
      worstArgumentFree = Math.max(worstArgumentFree, pathLength(docker, e.getValue(), arch));
    }
    assertThat(worstArgumentFree).as("argument-free path").isLessThanOrEqualTo(6 + 9 + 1);
  }

  private static int pathLength(BpfProgram program, int nr, Arch arch) {
    int[] steps = {0};
    // count by re-running with a counting wrapper: loads and jumps are all one step each
    int pc = 0;
    java.nio.ByteBuffer data = BpfInterpreter.data(nr, arch.auditArch(), 0);
    int acc = 0;
    while (true) {
      steps[0]++;
      BpfInstruction in = program.get(pc);
      switch (in.code() & 0x07) {
        case Bpf.LD -> {
          acc = data.getInt(in.k());
          pc++;
        }
        case Bpf.ALU -> {
          acc &= in.k();
          pc++;
        }
        case Bpf.JMP -> {
          int op = in.code() & 0xf0;
          if (op == Bpf.JA) {
            pc += 1 + in.k();
          } else {
            boolean taken = switch (op) {
              case Bpf.JEQ -> acc == in.k();
              case Bpf.JGT -> Integer.compareUnsigned(acc, in.k()) > 0;
              case Bpf.JGE -> Integer.compareUnsigned(acc, in.k()) >= 0;
              default -> (acc & in.k()) != 0;
            };
            pc += 1 + (taken ? in.jt() : in.jf());
          }
        }
        default -> {
          return steps[0];
        }
      }
    }
  }
}
