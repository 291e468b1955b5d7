package dev.phantom.policy.bench;

import static dev.phantom.policy.core.TestProfiles.SYSCALLS;

import dev.phantom.policy.core.Arch;
import dev.phantom.policy.core.BpfInstruction;
import dev.phantom.policy.core.BpfProgram;
import dev.phantom.policy.core.Libseccomp;
import dev.phantom.policy.core.SeccompCompiler;
import dev.phantom.policy.core.SeccompPolicy;
import dev.phantom.policy.core.TestProfiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Per-syscall cost inside bwrap, for {@link PolicyFiguresTest}: a static C loop
 * ({@code src/test/resources/bench/syscall-loop.c}) under no filter, two baselines and the two
 * compilers' filters for the same rules. Runs are interleaved (one of each per round) so that load
 * from other work on the host spreads over all columns alike, and each column reports its best run.
 *
 * <p>The baselines separate the kernel's cost from the program's: "allow-all" is the one instruction
 * {@code ret ALLOW} (the kernel's action cache answers every call, so this is the fixed price of having
 * any filter attached); "allow-all, run" is {@code ld [instruction_pointer]; ret ALLOW}, which the cache
 * cannot answer (it only follows loads of nr and arch), so the filter runs on every call.
 */
final class SyscallCost {

  static final int ROUNDS = 7;
  static final long CALLS = 200_000;
  static final int BEST_OF = 10;

  private static final BpfProgram ALLOW_ALL = new BpfProgram(List.of(new BpfInstruction(0x06, 0, 0, 0x7fff0000)));
  private static final BpfProgram ALLOW_ALL_RUN = new BpfProgram(List.of(
      new BpfInstruction(0x20, 0, 0, 8), new BpfInstruction(0x06, 0, 0, 0x7fff0000)));

  private SyscallCost() {}

  /** Why the table cannot be measured here, or empty when it can. */
  static String unavailable() {
    if (!dev.phantom.support.HostArch.current().equals("x86_64")) {
      return "not an x86_64 host";
    }
    for (String tool : List.of("/usr/bin/bwrap", "/usr/bin/cc")) {
      if (!Files.isExecutable(Path.of(tool))) {
        return tool + " is missing";
      }
    }
    return Libseccomp.load().isPresent() ? "" : Libseccomp.LIBRARY + " is missing";
  }

  static String table(Path dir, List<String> profiles) throws Exception {
    Path loop = build(dir);
    SeccompCompiler compiler = new SeccompCompiler(SYSCALLS);
    Map<String, Path> filters = new LinkedHashMap<>();
    filters.put("none", null);
    filters.put("allow-all", write(dir, "allow-all", ALLOW_ALL));
    filters.put("allow-all-run", write(dir, "allow-all-run", ALLOW_ALL_RUN));
    for (String profile : profiles) {
      SeccompPolicy policy = PolicyFiguresTest.profiles().get(profile);
      filters.put(profile + "/ours", write(dir, profile + ".ours", compiler.compile(policy, Arch.X86_64)));
      Libseccomp.Translation t = Libseccomp.translate(policy, SYSCALLS.table(Arch.X86_64));
      filters.put(profile + "/lib",
          write(dir, profile + ".lib", Libseccomp.export(t.rules(), policy.defaultAction(), Arch.X86_64, dir)));
    }
    List<String> loops = List.of("getppid", "ioctl");
    Map<String, List<Double>> runs = new LinkedHashMap<>();
    for (int round = 0; round < ROUNDS; round++) {
      for (String l : loops) {
        for (Map.Entry<String, Path> f : filters.entrySet()) {
          runs.computeIfAbsent(l + " " + f.getKey(), k -> new ArrayList<>()).add(run(dir, loop, l, f.getValue()));
        }
      }
    }
    StringBuilder out = new StringBuilder();
    // the best run: load from elsewhere on the host only ever adds time
    out.append(String.format("%nPer-syscall cost inside bwrap (static C loop, ns per call: the best of %d interleaved"
        + " runs of %d x %,d calls)%n", ROUNDS, BEST_OF, CALLS));
    out.append("kernel ").append(System.getProperty("os.version")).append("; spec_store_bypass: ")
        .append(read("/sys/devices/system/cpu/vulnerabilities/spec_store_bypass")).append('\n');
    out.append(String.format("%-16s %-31s %9s %9s %13s %9s %10s %11s %11s%n", "profile", "loop", "no filter",
        "allow-all", "allow-all,run", "ours", "libseccomp", "ours-none", "ours-allow"));
    for (String profile : profiles) {
      for (String l : loops) {
        double none = best(runs.get(l + " none"));
        double all = best(runs.get(l + " allow-all"));
        double ours = best(runs.get(l + " " + profile + "/ours"));
        out.append(String.format("%-16s %-31s %9.1f %9.1f %13.1f %9.1f %10.1f %+10.1f%% %+10.1f%%%n", profile,
            l.equals("getppid") ? "getppid (no arguments)" : "ioctl TCGETS (" + checked(profile) + ")",
            none, all, best(runs.get(l + " allow-all-run")), ours, best(runs.get(l + " " + profile + "/lib")),
            100 * (ours - none) / none, 100 * (ours - all) / all));
      }
    }
    return out.toString();
  }

  private static String checked(String profile) {
    boolean conditional = PolicyFiguresTest.profiles().get(profile).rules().stream()
        .anyMatch(r -> r.syscalls().contains("ioctl") && !r.unconditional());
    return conditional ? "args checked" : "allowed outright";
  }

  private static Path build(Path dir) throws Exception {
    Path source = Files.writeString(dir.resolve("syscall-loop.c"), TestProfiles.resource("bench/syscall-loop.c"));
    Path binary = dir.resolve("syscall-loop");
    exec(List.of("cc", "-O2", "-static", "-o", binary.toString(), source.toString()), null);
    return binary;
  }

  private static Path write(Path dir, String name, BpfProgram program) throws IOException {
    return Files.write(dir.resolve(name + ".bpf"), program.toBytes());
  }

  /** Best ns per call of one sandboxed run; the filter (if any) goes to bwrap on fd 3. */
  private static double run(Path dir, Path loop, String which, Path filter) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bwrap", "--ro-bind", dir.toString(), "/b", "--dev", "/dev",
        "--unshare-all", "--die-with-parent"));
    if (filter != null) {
      cmd.addAll(List.of("--seccomp", "3"));
    }
    cmd.addAll(List.of("/b/" + loop.getFileName(), which, Long.toString(CALLS), Integer.toString(BEST_OF)));
    return Double.parseDouble(exec(cmd, filter));
  }

  private static String exec(List<String> cmd, Path fd3) throws Exception {
    List<String> shell = new ArrayList<>(List.of("bash", "-c",
        "exec \"$@\"" + (fd3 == null ? "" : " 3< " + quote(fd3.toString())), "-"));
    shell.addAll(cmd);
    Process p = new ProcessBuilder(shell).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.PIPE).start();
    p.getOutputStream().close();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", cmd) + ": timed out");
    }
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + ": exit " + p.exitValue() + ": " + text);
    }
    return text;
  }

  private static double best(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
  }

  private static String read(String file) {
    try {
      return Files.readString(Path.of(file)).strip();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
