package dev.phantom.zygote.bwrap;

import dev.phantom.zygote.ZygoteConfig;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phantom.support.testing.SandboxHost;
import dev.phantom.zygote.TestProfiles;
import dev.phantom.zygote.core.RunOutcome;
import dev.phantom.zygote.core.RunSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Prints the latency of {@code true} through the launcher next to a bare {@code bwrap ... true} started with
 * ProcessBuilder, in the same run. Not a pass/fail test: run with {@code -Dphantom.bench=true}.
 */
class SpawnLatencyBenchmark {

  static final int RUNS = 50;

  @Test
  void trueThroughTheLauncherVersusBareBwrap() throws Exception {
    assumeTrue(Boolean.getBoolean("phantom.bench"), "benchmark: run with -Dphantom.bench=true");
    SandboxHost.assumeBubblewrap();
    try (BwrapLauncher launcher = new BwrapLauncher(
        BwrapInstallation.detect(Optional.empty(), BwrapLauncher.runningAsRoot(), "bench"), ZygoteConfig.DEFAULT_SANDBOX_UID, ZygoteConfig.DEFAULT_SANDBOX_GID)) {
      RunSpec spec = RunSpec.of("bench", List.of("true"), Duration.ofSeconds(10), 1 << 20);
      List<String> bare = launcher.commandLine(TestProfiles.minimal(new byte[0]), spec);
      long[] total = new long[RUNS];
      long[] spawn = new long[RUNS];
      long[] bareTotal = new long[RUNS];
      for (int i = -5; i < RUNS; i++) { // 5 warm-up rounds
        long t0 = System.nanoTime();
        RunOutcome out = launcher.launch(TestProfiles.minimal(), spec, null).outcome().toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
        long t1 = System.nanoTime();
        // The bare run gets no seccomp fd and no status fd: drop those options.
        List<String> argv = new ArrayList<>(bare);
        int status = argv.indexOf("--json-status-fd");
        argv.subList(status, status + 2).clear();
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        p.waitFor();
        long t2 = System.nanoTime();
        if (i >= 0) {
          total[i] = t1 - t0;
          spawn[i] = out.spawnMicros() * 1000;
          bareTotal[i] = t2 - t1;
        }
      }
      System.out.printf("spawn latency of `true` over %d runs (median / p90, ms):%n", RUNS);
      System.out.printf("  launcher, until the sandbox's first process exists: %s%n", stats(spawn));
      System.out.printf("  launcher, launch to outcome (whole run):            %s%n", stats(total));
      System.out.printf("  bare bwrap via ProcessBuilder, start to exit:       %s%n", stats(bareTotal));
    }
  }

  static String stats(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return String.format("%.2f / %.2f", sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.9)] / 1e6);
  }
}
