package dev.phantom.zygote.bwrap;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phantom.support.testing.SandboxHost;
import dev.phantom.zygote.TestProfiles;
import dev.phantom.zygote.ZygoteConfig;
import dev.phantom.zygote.ZygoteVerticle;
import dev.phantom.zygote.core.ResourceLimits;
import dev.phantom.zygote.core.RunSpec;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Prints the added cost of a per-sandbox cgroup (blocked start, placement, usage read, cleanup): median of
 * 100 runs (-Dphantom.bench.runs) of {@code true} with and without, alternating blocks. Not a pass/fail test: run with {@code -Dphantom.bench=true}.
 */
class CgroupSpawnCostBenchmark {

  static final int RUNS = Integer.getInteger("phantom.bench.runs", 100);

  @Test
  void trueWithAndWithoutCgroups() throws Exception {
    assumeTrue(Boolean.getBoolean("phantom.bench"), "benchmark: run with -Dphantom.bench=true");
    SandboxHost.assumeBubblewrap();
    ZygoteVerticle.Setup setup = ZygoteVerticle.setUp(
        ZygoteConfig.fromJson(new JsonObject().put("stateDir", Files.createTempDirectory("bench-").toString())), "bench");
    try (BwrapLauncher plain = new BwrapLauncher(
        BwrapInstallation.detect(Optional.empty(), BwrapLauncher.runningAsRoot(), "bench"), ZygoteConfig.DEFAULT_SANDBOX_UID, ZygoteConfig.DEFAULT_SANDBOX_GID)) {
      RunSpec bare = RunSpec.of("bench", List.of("true"), Duration.ofSeconds(10), 1 << 20);
      RunSpec limited = bare.withLimits(new ResourceLimits(256L << 20, 64, 1000, 0, 0));
      long[] without = measure(plain, bare);
      long[] with = measure(setup.launcher(), limited);
      System.out.printf("[bench] true, median of %d (wall from launch to outcome, µs): without cgroups %d, with %s %d"
          + " (added %d)%n", RUNS, median(without), setup.launcher().cgroups().describe().split(" \\{")[0], median(with),
          median(with) - median(without));
    } finally {
      setup.launcher().close();
      setup.stateDir().close();
    }
  }

  static long[] measure(BwrapLauncher launcher, RunSpec spec) throws Exception {
    long[] micros = new long[RUNS];
    for (int i = -5; i < RUNS; i++) {
      long t0 = System.nanoTime();
      launcher.launch(TestProfiles.minimal(), spec, null).outcome().toCompletableFuture().get(10, TimeUnit.SECONDS);
      if (i >= 0) {
        micros[i] = (System.nanoTime() - t0) / 1000;
      }
    }
    return micros;
  }

  static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
