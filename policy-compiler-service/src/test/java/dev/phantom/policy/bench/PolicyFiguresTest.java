package dev.phantom.policy.bench;

import static dev.phantom.policy.core.TestProfiles.BUILTIN;
import static dev.phantom.policy.core.TestProfiles.SYSCALLS;

import dev.phantom.policy.core.Arch;
import dev.phantom.policy.core.BpfAnalysis;
import dev.phantom.policy.core.BpfProgram;
import dev.phantom.policy.core.Libseccomp;
import dev.phantom.policy.core.SeccompCompiler;
import dev.phantom.policy.core.SeccompPolicy;
import dev.phantom.policy.core.TestProfiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The figures of the module README, printed as tables. Not run by default:
 * {@code ./mvnw -o -pl policy-compiler-service test -Dtest=PolicyFiguresTest -Dphantom.bench=true}.
 * The per-syscall part needs an x86_64 host with bwrap, libseccomp and a C compiler with a static libc.
 */
class PolicyFiguresTest {

  @TempDir
  Path dir;

  static Map<String, SeccompPolicy> profiles() {
    Map<String, SeccompPolicy> all = new LinkedHashMap<>();
    BUILTIN.forEach((name, p) -> all.put(name, p.seccomp()));
    all.put("docker-default", TestProfiles.dockerDefault().seccomp());
    return all;
  }

  @Test
  void figures() throws Exception {
    Assumptions.assumeTrue(Boolean.getBoolean("phantom.bench"), "set -Dphantom.bench=true");
    StringBuilder out = new StringBuilder();
    // 1. compile time (JMH, in this JVM: forks 0); -Dphantom.bench.jmh=false leaves it out
    if (!"false".equals(System.getProperty("phantom.bench.jmh"))) {
      Collection<RunResult> results = new Runner(new OptionsBuilder().include(PolicyBenchmark.class.getName())
          .forks(0).warmupIterations(3).warmupTime(TimeValue.milliseconds(500))
          .measurementIterations(5).measurementTime(TimeValue.seconds(1)).build()).run();
      out.append("\nCompile time (x86_64 filter from the loaded profile, JMH SampleTime, warm JVM)\n");
      out.append(String.format("%-16s %10s %10s %10s%n", "profile", "p50 us", "p99 us", "mean us"));
      for (RunResult r : results) {
        var stats = r.getPrimaryResult().getStatistics();
        out.append(String.format("%-16s %10.1f %10.1f %10.1f%n", r.getParams().getParam("profile"),
            stats.getPercentile(50), stats.getPercentile(99), stats.getMean()));
      }
    }
    // 2. size and worst path next to libseccomp's for the same rules
    boolean haveLibseccomp = Libseccomp.load().isPresent();
    out.append("\nInstructions / worst path (ours vs libseccomp ")
        .append(haveLibseccomp ? Libseccomp.version() : "n/a").append(", SCMP_FLTATR_CTL_OPTIMIZE=2, same rules)\n");
    out.append(String.format("%-16s %-8s %10s %10s %12s %12s  %s%n", "profile", "arch", "ours insns", "ours path",
        "libsc insns", "libsc path", "left out for libseccomp"));
    SeccompCompiler compiler = new SeccompCompiler(SYSCALLS);
    for (Map.Entry<String, SeccompPolicy> e : profiles().entrySet()) {
      for (Arch arch : Arch.values()) {
        BpfProgram ours = compiler.compile(e.getValue(), arch);
        String theirs = "-";
        String theirsPath = "-";
        String left = "";
        if (haveLibseccomp) {
          Libseccomp.Translation t = Libseccomp.translate(e.getValue(), SYSCALLS.table(arch));
          BpfProgram lib = Libseccomp.export(t.rules(), e.getValue().defaultAction(), arch, dir);
          theirs = Integer.toString(lib.size());
          theirsPath = Integer.toString(BpfAnalysis.worstPath(lib));
          left = String.join(",", t.notExpressible().keySet());
          if (!t.notExpressible().isEmpty()) {
            BpfProgram oursRestricted = compiler.compile(t.restricted(), arch);
            left += " (ours on the same subset: " + oursRestricted.size() + "/" + BpfAnalysis.worstPath(oursRestricted) + ")";
          }
        }
        out.append(String.format("%-16s %-8s %10d %10d %12s %12s  %s%n", e.getKey(), arch.unameName(), ours.size(),
            BpfAnalysis.worstPath(ours), theirs, theirsPath, left));
      }
    }
    // 3. per-syscall cost in a sandbox: no filter, the baselines, ours and libseccomp's
    String unavailable = SyscallCost.unavailable();
    if (unavailable.isEmpty()) {
      out.append(SyscallCost.table(dir, List.of("python-dev", "strict", "docker-default")));
    } else {
      out.append("\nPer-syscall cost: not measured (").append(unavailable).append(")\n");
    }
    System.out.println(out);
    Files.writeString(Path.of("target/figures.txt"), out.toString(), StandardCharsets.UTF_8);
  }
}
