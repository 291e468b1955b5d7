package dev.phantom.zygote.pool;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phantom.support.testing.SandboxHost;
import dev.phantom.zygote.TestProfiles;
import dev.phantom.zygote.ZygoteConfig;
import dev.phantom.zygote.ZygoteVerticle;
import dev.phantom.zygote.bwrap.BwrapLauncher;
import dev.phantom.zygote.bwrap.WarmSlot;
import dev.phantom.zygote.core.ResourceLimits;
import dev.phantom.zygote.core.RunSpec;
import dev.phantom.zygote.core.SandboxProfile;
import dev.phantom.zygote.core.SlotAgent;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Prints, in one run and alternating, the latency of {@code true} at the zygote: in a warm slot, spawned
 * cold through the launcher, and as a bare {@code bwrap ... true} (same mounts, no JVM in the path). Not a
 * pass/fail test: run with {@code -Dphantom.bench=true}.
 */
public class WarmSpawnBenchmark {

  static final int RUNS = Integer.getInteger("phantom.bench.runs", 100);

  @Test
  void warmSlotVersusColdSpawnVersusBareBwrap() throws Exception {
    assumeTrue(Boolean.getBoolean("phantom.bench"), "benchmark: run with -Dphantom.bench=true");
    SandboxHost.assumeBubblewrap();
    var stateDir = Files.createTempDirectory("zygote-bench-");
    ZygoteVerticle.Setup setup = ZygoteVerticle.setUp(
        ZygoteConfig.fromJson(new JsonObject().put("stateDir", stateDir.toString())), "bench");
    BwrapLauncher launcher = setup.launcher();
    SandboxProfile profile = TestProfiles.minimal();
    ResourceLimits limits = new ResourceLimits(128L << 20, 64, 1000, 0, 0);
    WarmPools pools = new WarmPools(launcher, name -> CompletableFuture.completedFuture(profile), p -> limits,
        new HostMemory(), 0.25, 100, new SimpleMeterRegistry());
    try {
      pools.start();
      pools.resize(profile.name(), 4, SlotAgent.SHELL);
      List<String> bare = new ArrayList<>(launcher.commandLine(TestProfiles.minimal(new byte[0]),
          RunSpec.of("bare", List.of("true"), Duration.ofSeconds(10), 1 << 20)));
      int status = bare.indexOf("--json-status-fd");
      bare.subList(status, status + 2).clear();
      long[] warm = new long[RUNS];
      long[] warmWall = new long[RUNS];
      long[] cold = new long[RUNS];
      long[] bareTotal = new long[RUNS];
      int misses = 0;
      for (int i = -10; i < RUNS; i++) {
        RunSpec job = RunSpec.of("w" + i, List.of("true"), Duration.ofSeconds(10), 1 << 20).withLimits(limits);
        while (pools.idleByProfile().getOrDefault(profile.name(), 0) == 0) {
          Thread.sleep(5); // refilling is not what this measures
        }
        long t0 = System.nanoTime();
        var slot = pools.take(profile, job);
        if (slot.isEmpty()) {
          misses++;
          continue;
        }
        var outcome = slot.get().start(job, SlotAgent.SHELL.handover(new SlotAgent.Job(job.argv(), job.env(), "")), null)
            .outcome().toCompletableFuture().get(10, TimeUnit.SECONDS);
        long t1 = System.nanoTime();
        launcher.launch(profile, RunSpec.of("c" + i, List.of("true"), Duration.ofSeconds(10), 1 << 20).withLimits(limits),
            null).outcome().toCompletableFuture().get(10, TimeUnit.SECONDS);
        long t2 = System.nanoTime();
        Process p = new ProcessBuilder(bare).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        p.waitFor();
        long t3 = System.nanoTime();
        if (i >= 0) {
          warm[i] = t1 - t0;
          warmWall[i] = outcome.wallMicros() * 1000;
          cold[i] = t2 - t1;
          bareTotal[i] = t3 - t2;
        }
      }
      System.out.printf("`true` at the zygote, %d rounds alternating (median / p90 / p99, ms); %d misses%n", RUNS, misses);
      System.out.printf("  warm slot, take to outcome:              %s%n", stats(warm));
      System.out.printf("  warm slot, handover to exit (wall):      %s%n", stats(warmWall));
      System.out.printf("  cold spawn with cgroup, launch to outcome: %s%n", stats(cold));
      System.out.printf("  bare bwrap (ProcessBuilder), start to exit: %s%n", stats(bareTotal));
      System.out.printf("  idle slot PSS (bwrap + init + agent): %d KiB%n",
          new HostMemory().treePssBytes(pools.idlePids(profile.name()).getFirst()) >> 10);
    } finally {
      pools.close();
      launcher.close();
      setup.stateDir().close();
    }
  }

  public static String stats(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return String.format("%.2f / %.2f / %.2f", sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.9)] / 1e6,
        sorted[(int) (sorted.length * 0.99)] / 1e6);
  }
}
