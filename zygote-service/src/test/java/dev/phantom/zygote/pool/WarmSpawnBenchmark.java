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

  /** A zygote of its own in a fresh state directory; skips unless benchmarks were asked for. */
  private static ZygoteVerticle.Setup benchSetup() throws java.io.IOException {
    assumeTrue(Boolean.getBoolean("phantom.bench"), "benchmark: run with -Dphantom.bench=true");
    SandboxHost.assumeBubblewrap();
    var stateDir = Files.createTempDirectory("zygote-bench-");
    return ZygoteVerticle.setUp(ZygoteConfig.fromJson(new JsonObject().put("stateDir", stateDir.toString())), "bench");
  }

  @Test
  void warmSlotVersusColdSpawnVersusBareBwrap() throws Exception {
    ZygoteVerticle.Setup setup = benchSetup();
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

  /**
   * Python slots made by a fork server against slots that are each their own bubblewrap and interpreter, in
   * one run: time to make 16 slots, idle PSS per slot, and a hello-world job (take to outcome), alternating
   * with bare bwrap python3 and host python3.
   */
  @Test
  void forkedPythonSlotsVersusSpawnedOnes() throws Exception {
    ZygoteVerticle.Setup setup = benchSetup();
    BwrapLauncher launcher = setup.launcher();
    ResourceLimits limits = new ResourceLimits(256L << 20, 64, 1000, 0, 0);
    Map<String, SandboxProfile> profiles = Map.of("forked", python("forked"), "spawned", python("spawned"));
    WarmPools forked = new WarmPools(launcher, name -> CompletableFuture.completedFuture(profiles.get(name)), p -> limits,
        new HostMemory(), 0.5, 100, new SimpleMeterRegistry());
    WarmPools spawned = new WarmPools(launcher, name -> CompletableFuture.completedFuture(profiles.get(name)), p -> limits,
        new HostMemory(), 0.5, 100, new SimpleMeterRegistry());
    spawned.forkServers(false);
    int size = 16;
    try {
      forked.start();
      spawned.start();
      long fillForked = fill(forked, "forked", size);
      long fillSpawned = fill(spawned, "spawned", size);
      Thread.sleep(1500); // what an idle slot holds once it waits
      long[] pssForked = pss(forked.idlePids("forked"));
      long[] pssSpawned = pss(spawned.idlePids("spawned"));
      int serverPid = forked.forkServerPid("forked");
      long serverTree = new HostMemory().treePssBytes(serverPid) >> 10;
      long slotsTotal = Arrays.stream(pssForked).sum();
      SandboxProfile unfiltered = python("bare");
      unfiltered = new SandboxProfile("bare", "sha256:bare", new byte[0], unfiltered.mounts(), unfiltered.env(),
          unfiltered.hostname(), unfiltered.cwd(), unfiltered.uid(), unfiltered.gid(), unfiltered.limits());
      List<String> bare = new ArrayList<>(launcher.commandLine(unfiltered,
          RunSpec.of("bare", List.of("python3", "-c", "print('hi')"), Duration.ofSeconds(10), 1 << 20)));
      int status = bare.indexOf("--json-status-fd");
      bare.subList(status, status + 2).clear();
      long[][] times = new long[4][RUNS];
      for (int i = -10; i < RUNS; i++) {
        long[] round = {
            job(forked, profiles.get("forked"), limits, i),
            job(spawned, profiles.get("spawned"), limits, i),
            exec(bare),
            exec(List.of("/usr/bin/python3", "-c", "print('hi')"))};
        if (i >= 0) {
          for (int k = 0; k < 4; k++) {
            times[k][i] = round[k];
          }
        }
      }
      System.out.printf("Python slots, %d each (median / p90 / p99, ms for jobs)%n", size);
      System.out.printf("  make %d slots: forked %.0f ms, spawned %.0f ms%n", size, fillForked / 1e6, fillSpawned / 1e6);
      System.out.printf("  idle PSS per slot: forked median %d KiB (min %d, max %d), spawned median %d KiB (min %d, max %d)%n",
          median(pssForked), pssForked[0], pssForked[pssForked.length - 1], median(pssSpawned), pssSpawned[0],
          pssSpawned[pssSpawned.length - 1]);
      System.out.printf("  fork server (bwrap, init, interpreter) alone: %d KiB, %d KiB per slot of %d%n",
          serverTree - slotsTotal, (serverTree - slotsTotal) / size, size);
      System.out.printf("  print('hi'), forked slot, take to outcome:   %s%n", stats(times[0]));
      System.out.printf("  print('hi'), spawned slot, take to outcome:  %s%n", stats(times[1]));
      System.out.printf("  bare bwrap python3 -c (no filter, ProcessBuilder): %s%n", stats(times[2]));
      System.out.printf("  host python3 -c (ProcessBuilder):            %s%n", stats(times[3]));
    } finally {
      forked.close();
      spawned.close();
      launcher.close();
      setup.stateDir().close();
    }
  }

  static SandboxProfile python(String name) {
    SandboxProfile p = WarmPoolsTest.withWorkspace(name);
    return new SandboxProfile(name, "sha256:" + name, p.seccompBpf(), p.mounts(), Map.of("PATH", "/usr/bin:/bin"),
        p.hostname(), p.cwd(), p.uid(), p.gid(), p.limits());
  }

  static long fill(WarmPools pools, String profile, int size) throws InterruptedException {
    long t0 = System.nanoTime();
    pools.resize(profile, size, SlotAgent.PYTHON);
    while (pools.idleByProfile().getOrDefault(profile, 0) < size) {
      Thread.sleep(2);
    }
    return System.nanoTime() - t0;
  }

  static long[] pss(List<Integer> pids) {
    long[] out = pids.stream().mapToLong(pid -> new HostMemory().treePssBytes(pid) >> 10).sorted().toArray();
    return out.length == 0 ? new long[] {0} : out;
  }

  static long median(long[] sorted) {
    return sorted[sorted.length / 2];
  }

  static long job(WarmPools pools, SandboxProfile profile, ResourceLimits limits, int i) throws Exception {
    RunSpec job = RunSpec.of("p" + i, List.of("python3", "-c", "print('hi')"), Duration.ofSeconds(10), 1 << 20)
        .withLimits(limits);
    while (pools.idleByProfile().getOrDefault(profile.name(), 0) == 0) {
      Thread.sleep(5);
    }
    long t0 = System.nanoTime();
    WarmSlot slot = pools.take(profile, job).orElseThrow();
    slot.start(job, slot.handover(job), null).outcome().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return System.nanoTime() - t0;
  }

  static long exec(List<String> argv) throws Exception {
    long t0 = System.nanoTime();
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    p.waitFor();
    return System.nanoTime() - t0;
  }

  public static String stats(long[] nanos) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    return String.format("%.2f / %.2f / %.2f", sorted[sorted.length / 2] / 1e6, sorted[(int) (sorted.length * 0.9)] / 1e6,
        sorted[(int) (sorted.length * 0.99)] / 1e6);
  }
}
