package dev.phantom.policy.core;

import static dev.phantom.policy.core.TestProfiles.BUILTIN;
import static dev.phantom.policy.core.TestProfiles.SYSCALLS;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Proof (b): the same rules built with the system's libseccomp, both programs run in the interpreter
 * over every syscall number of the table, foreign-arch and x32 numbers, and 100,000+ random (number,
 * arguments) samples per architecture: not one disagreement. Only numbers above our table differ by
 * design (ours: ENOSYS; libseccomp: the default) and are checked separately. Syscalls whose rules
 * libseccomp cannot express with the same meaning are left out of both programs and listed.
 */
class LibseccompDifferentialTest {

  @TempDir
  static Path scratch;

  @BeforeAll
  static void library() {
    boolean mustWork = "1".equals(System.getenv("PHANTOM_MUST_WORK"));
    if (Libseccomp.load().isEmpty()) {
      if (mustWork) {
        throw new AssertionError(Libseccomp.LIBRARY + " is missing (apt-get install libseccomp2)");
      }
      Assumptions.abort(Libseccomp.LIBRARY + " is missing");
    }
  }

  static Map<String, SeccompPolicy> policies() {
    Map<String, SeccompPolicy> all = new LinkedHashMap<>();
    all.put("docker-default", TestProfiles.dockerDefault().seccomp());
    BUILTIN.forEach((name, p) -> all.put(name, p.seccomp()));
    Random random = new Random(11);
    for (int i = 0; i < 30; i++) {
      all.put("random-" + i, RandomPolicies.generate(random, SYSCALLS, true));
    }
    return all;
  }

  @ParameterizedTest
  @EnumSource(Arch.class)
  void libseccompAndOurFilterAgreeEverywhere(Arch arch) {
    ReferenceEvaluator reference = new ReferenceEvaluator(SYSCALLS);
    SeccompCompiler compiler = new SeccompCompiler(SYSCALLS);
    Random random = new Random(97 + arch.ordinal());
    int highest = SYSCALLS.highest(arch);
    long samples = 0;
    List<String> report = new ArrayList<>();
    for (Map.Entry<String, SeccompPolicy> e : policies().entrySet()) {
      Libseccomp.Translation t = Libseccomp.translate(e.getValue(), SYSCALLS.table(arch));
      SeccompPolicy policy = t.restricted();
      BpfProgram ours = compiler.compile(policy, arch);
      BpfProgram theirs = Libseccomp.export(t.rules(), policy.defaultAction(), arch, scratch);
      if (!t.notExpressible().isEmpty() && !e.getKey().startsWith("random")) {
        report.add(e.getKey() + " without " + t.notExpressible());
      }
      List<Integer> numbers = new ArrayList<>();
      for (int nr = 0; nr <= highest; nr++) {
        numbers.add(nr);
      }
      if (arch.hasX32()) {
        numbers.addAll(List.of(Seccomp.X32_SYSCALL_BIT, Seccomp.X32_SYSCALL_BIT + 1, Seccomp.X32_SYSCALL_BIT + 59,
            0x7fffffff, -2));
        // nr -1 (a tracer skipping the call): libseccomp lets it reach the default, we kill it like any
        // number with the x32 bit; the kernel would not run it either way
        assertThat(BpfInterpreter.run(ours, -1, arch.auditArch())).isEqualTo(Seccomp.RET_KILL_PROCESS);
      }
      List<Integer> conditional = new ArrayList<>();
      for (SeccompRule r : policy.rules()) {
        if (!r.unconditional()) {
          r.syscalls().forEach(s -> SYSCALLS.table(arch).number(s).ifPresent(conditional::add));
        }
      }
      int foreign = arch == Arch.X86_64 ? Arch.AARCH64.auditArch() : Arch.X86_64.auditArch();
      for (int nr : numbers) {
        compare(e.getKey(), arch, ours, theirs, reference, policy, arch.auditArch(), nr, new long[6]);
        compare(e.getKey(), arch, ours, theirs, reference, policy, foreign, nr, new long[6]);
        samples += 2;
      }
      int perPolicy = e.getKey().startsWith("random") ? 3_000 : 6_000;
      for (int i = 0; i < perPolicy; i++) {
        int nr = !conditional.isEmpty() && random.nextInt(4) != 0
            ? conditional.get(random.nextInt(conditional.size())) : random.nextInt(highest + 1);
        compare(e.getKey(), arch, ours, theirs, reference, policy, arch.auditArch(), nr,
            RandomPolicies.arguments(random, policy));
        samples++;
      }
      // above the table: ours answers ENOSYS, libseccomp its default
      if (!arch.hasX32() || highest + 1 < Seccomp.X32_SYSCALL_BIT) {
        assertThat(BpfInterpreter.run(ours, highest + 1, arch.auditArch())).isEqualTo(Seccomp.RET_ERRNO | Errno.ENOSYS);
        assertThat(BpfInterpreter.run(theirs, highest + 1, arch.auditArch())).isEqualTo(policy.defaultAction().returnValue());
      }
    }
    System.out.printf("libseccomp %s differential on %s: %,d samples, 0 disagreements; left out: %s%n",
        Libseccomp.version(), arch.unameName(), samples, report);
    assertThat(samples).isGreaterThanOrEqualTo(100_000);
  }

  /**
   * The size goal, checked for every shipped profile and the Docker-like one: fewer
   * instructions and a shorter longest path than libseccomp's binary tree for the same rules (on the
   * subset libseccomp can express, and also with our full rules).
   */
  @ParameterizedTest
  @EnumSource(Arch.class)
  void smallerAndShallowerThanLibseccomp(Arch arch) {
    SeccompCompiler compiler = new SeccompCompiler(SYSCALLS);
    Map<String, SeccompPolicy> shipped = new LinkedHashMap<>();
    shipped.put("docker-default", TestProfiles.dockerDefault().seccomp());
    BUILTIN.forEach((name, p) -> shipped.put(name, p.seccomp()));
    for (Map.Entry<String, SeccompPolicy> e : shipped.entrySet()) {
      Libseccomp.Translation t = Libseccomp.translate(e.getValue(), SYSCALLS.table(arch));
      BpfProgram theirs = Libseccomp.export(t.rules(), e.getValue().defaultAction(), arch, scratch);
      for (BpfProgram ours : List.of(compiler.compile(t.restricted(), arch), compiler.compile(e.getValue(), arch))) {
        assertThat(ours.size()).as("%s on %s: instructions", e.getKey(), arch).isLessThan(theirs.size());
        assertThat(BpfAnalysis.worstPath(ours)).as("%s on %s: worst path", e.getKey(), arch)
            .isLessThan(BpfAnalysis.worstPath(theirs));
      }
    }
  }

  private static void compare(String name, Arch arch, BpfProgram ours, BpfProgram theirs, ReferenceEvaluator reference,
      SeccompPolicy policy, int auditArch, int nr, long[] args) {
    int a = BpfInterpreter.run(ours, nr, auditArch, args);
    int b = BpfInterpreter.run(theirs, nr, auditArch, args);
    if (a != b) {
      throw new AssertionError(String.format("%s on %s: nr %d (%s) arch 0x%x args %s: ours 0x%08x, libseccomp 0x%08x,"
              + " model 0x%08x", name, arch, nr, reference.name(arch, nr), auditArch, Arrays.toString(args), a, b,
          reference.decide(policy, arch, auditArch, nr, args)));
    }
  }
}
