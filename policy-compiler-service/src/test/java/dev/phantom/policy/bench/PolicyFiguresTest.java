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
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
    // 1. compile time (JMH, in this JVM: forks 0)
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
    // 3. per-syscall cost in a sandbox
    if (haveLibseccomp && Files.isExecutable(Path.of("/usr/bin/bwrap")) && Files.isExecutable(Path.of("/usr/bin/python3"))
        && dev.phantom.support.HostArch.current().equals("x86_64")) {
      out.append("\nPer-syscall cost inside bwrap (python3 loop, ns per iteration, median of 5 runs of 1,000,000)\n");
      out.append(String.format("%-16s %-28s %10s %10s %12s%n", "profile", "loop", "no filter", "ours", "libseccomp"));
      for (String profile : List.of("docker-default", "python-dev")) {
        SeccompPolicy policy = profiles().get(profile);
        Path ours = Files.write(dir.resolve(profile + ".ours.bpf"), compiler.compile(policy, Arch.X86_64).toBytes());
        Libseccomp.Translation t = Libseccomp.translate(policy, SYSCALLS.table(Arch.X86_64));
        Path lib = Files.write(dir.resolve(profile + ".lib.bpf"),
            Libseccomp.export(t.rules(), policy.defaultAction(), Arch.X86_64, dir).toBytes());
        for (String[] loop : List.of(new String[] {"getppid() (argument-free)", "f=os.getppid\nfor _ in r: f()"},
            new String[] {"isatty(0) = ioctl(TCGETS)", "f=os.isatty\nfor _ in r: f(0)"})) {
          out.append(String.format("%-16s %-28s %10.1f %10.1f %12.1f%n", profile, loop[0], loop(loop[1], null),
              loop(loop[1], ours), loop(loop[1], lib)));
        }
      }
    }
    System.out.println(out);
    Files.writeString(Path.of("target/figures.txt"), out.toString(), StandardCharsets.UTF_8);
  }

  /** Median ns per iteration of a python loop in bwrap, with the given filter or none. */
  private static double loop(String body, Path filter) throws Exception {
    String py = "import os,time\nr=range(1000000)\n" + body.replace("for _ in r", "t=time.perf_counter()\nfor _ in r")
        + "\nprint((time.perf_counter()-t)*1000)\n";
    List<Double> runs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      List<String> cmd = new ArrayList<>(List.of("bwrap"));
      if (filter != null) {
        cmd.addAll(List.of("--seccomp", "3"));
      }
      cmd.addAll(List.of("--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
          "--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "--unshare-all", "--die-with-parent",
          "/usr/bin/python3", "-c", py));
      String shell = String.join(" ", cmd.stream().map(PolicyFiguresTest::quote).toList())
          + (filter == null ? "" : " 3< " + quote(filter.toString()));
      Process p = new ProcessBuilder("bash", "-c", shell).redirectErrorStream(true).start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("loop timed out");
      }
      String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (p.exitValue() != 0) {
        throw new IllegalStateException("loop failed: " + text);
      }
      runs.add(Double.parseDouble(text)); // ms per 1e6 iterations = ns per iteration
    }
    runs.sort(null);
    return runs.get(2);
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
