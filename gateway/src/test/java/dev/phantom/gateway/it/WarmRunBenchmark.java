package dev.phantom.gateway.it;

import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Where a warm {@code Run} of {@code true} spends its time, alternating with a bare {@code bwrap ... true}
 * (same mounts, no JVM) in one run: what the client sees, the gateway's total, the zygote's share (queue
 * and command wall), and the stages of each call ({@link dev.phantom.support.trace.StageTrace}). Prints
 * figures, asserts nothing; not run by default ({@code -Dit.test=WarmRunBenchmark
 * -Dfailsafe.failIfNoSpecifiedTests=false}; {@code -Dphantom.bench.runs=N -Dphantom.bench.warmup=N}).
 */
class WarmRunBenchmark {

  static final List<String> BARE = List.of("bwrap", "--unshare-all", "--die-with-parent", "--new-session",
      "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
      "--symlink", "usr/lib64", "/lib64", "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
      "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--", "true");

  @Test
  void warmRunOfTrueNextToBareBwrap() throws Exception {
    SandboxHost.assumeBubblewrap();
    int rounds = Integer.getInteger("phantom.bench.runs", 200);
    // Enough calls before measuring for the JIT to compile the whole path (C2 after thousands of calls);
    // with 20, most of it still ran interpreted or in C1, adding about a millisecond per stage.
    int warmUp = Integer.getInteger("phantom.bench.warmup", 2000);
    // -Dphantom.bench.pool=0 measures the cold path the same way.
    int pool = Integer.getInteger("phantom.bench.pool", 8);
    // Untimed pause after each call: a run replies before its teardown and its pool's refill, which on two
    // cores slowed the bare bwrap that ran into them to about twice its time.
    long settleMs = Long.getLong("phantom.bench.settleMs", 25);
    // -Dphantom.bench.python=true: what RunCode sends for python hello (main.py in the workspace) instead.
    boolean python = Boolean.getBoolean("phantom.bench.python");
    String profile = python ? "python-dev" : "minimal";
    RunRequest request = python
        ? EmbeddedMesh.request(profile, "python3", "main.py").toBuilder().addFiles(dev.phantom.api.v1.WorkspaceFile.newBuilder()
            .setPath("main.py").setContent(com.google.protobuf.ByteString.copyFromUtf8("print('hello')\n")).setMode(0644)).build()
        : EmbeddedMesh.request(profile, "true");
    JsonArray pools = pool == 0 ? new JsonArray()
        : new JsonArray().add(new JsonObject().put("profile", profile).put("size", pool));
    // The warm-up calls come back to back, faster than the default per-caller rate (100/s) allows.
    JsonObject config = new JsonObject().put("zygote", new JsonObject().put("pools", pools))
        .put("gateway", new JsonObject().put("rateLimitPerSecond", 0)); // 0: no limit
    try (EmbeddedMesh mesh = EmbeddedMesh.start(config)) {
      long[] client = new long[rounds];
      long[] total = new long[rounds];
      long[] wall = new long[rounds];
      long[] queued = new long[rounds];
      long[] bare = new long[rounds];
      int cold = 0;
      StageTraces traces = StageTraces.install();
      for (int i = -warmUp; i < rounds; i++) {
        if (pool > 0) {
          mesh.awaitIdleSlot(profile);
        }
        traces.clear();
        long t0 = System.nanoTime();
        RunResult r = mesh.run(request);
        long t1 = System.nanoTime();
        if (i < 0) {
          continue;
        }
        traces.round(t0, t1);
        Thread.sleep(settleMs);
        long t1b = System.nanoTime();
        dev.phantom.support.process.DirectSpawn.run(BARE, null);
        long t2 = System.nanoTime();
        Thread.sleep(settleMs);
        client[i] = (t1 - t0) / 1000;
        total[i] = r.getTimings().getTotalMicros();
        wall[i] = r.getTimings().getWallMicros();
        queued[i] = r.getTimings().getSpawnMicros();
        bare[i] = (t2 - t1b) / 1000;
        cold += r.getWarm() ? 0 : 1;
      }
      System.out.printf("%s Run of %s, %d rounds alternating with bare bwrap, %d ms apart (%d went cold); p50 / p90 / p99 ms%n",
          pool > 0 ? "warm" : "cold", python ? "python3 main.py (RunCode's hello)" : "`true`", rounds, settleMs, cold);
      System.out.printf("  client (gRPC call to result):            %s%n", stats(client));
      System.out.printf("  gateway total (request to reply):        %s%n", stats(total));
      System.out.printf("  zygote: request to handover (queued):    %s%n", stats(queued));
      System.out.printf("  zygote: handover to exit and usage:      %s%n", stats(wall));
      System.out.printf("  bare bwrap true (posix_spawnp):          %s%n", stats(bare));
      System.out.printf("stages of the run (median time since the call; step from the stage above, p50 / p90 / p99 ms)%n");
      traces.print(rounds);
    }
  }

  static String stats(long[] micros) {
    long[] s = micros.clone();
    Arrays.sort(s);
    return String.format("%.2f / %.2f / %.2f", s[s.length / 2] / 1000.0, s[(int) (s.length * 0.9)] / 1000.0,
        s[(int) (s.length * 0.99)] / 1000.0);
  }
}
