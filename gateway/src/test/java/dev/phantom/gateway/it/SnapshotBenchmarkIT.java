package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.ResourceLimits;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.api.v1.SandboxApiGrpcClient;
import dev.phantom.api.v1.Snapshot;
import dev.phantom.api.v1.SnapshotSandboxRequest;
import dev.phantom.proto.store.v1.FragmentStoreApiGrpcClient;
import dev.phantom.proto.store.v1.StatsRequest;
import dev.phantom.proto.store.v1.StoreStats;
import dev.phantom.support.testing.SandboxHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Snapshot and restore of a 100 MiB workspace (100 files of 1 MiB of random bytes: incompressible, nothing
 * to deduplicate, the worst case) with 1% changed (one file rewritten) between two snapshots. Prints bytes
 * sent and stored and the times; not a pass/fail test. Run with {@code -Dphantom.bench=true}.
 */
class SnapshotBenchmarkIT {

  private static final int FILES = 100;
  private static final int RESTORES = 3;

  @Test
  void snapshotAndRestoreA100MiBWorkspaceWithOnePercentChanged() throws Exception {
    assumeTrue(Boolean.getBoolean("phantom.bench"), "benchmark: run with -Dphantom.bench=true");
    SandboxHost.assumeBubblewrap();
    Path dir = Files.createTempDirectory("phantom-snapshot-bench");
    EmbeddedMesh mesh = EmbeddedMesh.start(SnapshotIT.meshConfig(dir));
    SessionIT.Client a = new SessionIT.Client(mesh.node.mesh().vertx(), mesh.grpcPort, SessionIT.KEY_A);
    SnapshotIT.a = a;
    List<String> made = new ArrayList<>();
    try {
      CreateSandboxRequest profile = CreateSandboxRequest.newBuilder().setProfile("python-dev")
          .setLimits(ResourceLimits.newBuilder().setMemoryBytes(1L << 30)).build();
      Sandbox box = a.create(profile);
      made.add(box.getId());
      SnapshotIT.sh(box, "mkdir d && for i in $(seq 1 " + FILES + "); do head -c 1048576 /dev/urandom > d/f$i; done");

      long stored0 = stats(a).getStoredBytes();
      long t0 = System.nanoTime();
      Snapshot first = snapshot(a, box);
      double firstMs = ms(t0);
      long stored1 = stats(a).getStoredBytes();

      SnapshotIT.sh(box, "head -c 1048576 /dev/urandom > d/f50");
      long t1 = System.nanoTime();
      Snapshot delta = snapshot(a, box);
      double deltaMs = ms(t1);
      long stored2 = stats(a).getStoredBytes();

      long tp = System.nanoTime();
      Sandbox plain = a.create(profile);
      double plainMs = ms(tp);
      made.add(plain.getId());
      List<Double> restores = new ArrayList<>();
      for (int i = 0; i < RESTORES; i++) {
        long tr = System.nanoTime();
        Sandbox fork = a.create(profile.toBuilder().setFromSnapshot(delta.getSnapshotId()).build());
        restores.add(ms(tr));
        made.add(fork.getId());
        if (i == 0) {
          assertThat(SnapshotIT.sh(fork, "cat d/* | wc -c").strip()).isEqualTo(String.valueOf(FILES * 1048576L));
        }
      }
      long tRead = System.nanoTime();
      SnapshotIT.sh(made.getLast(), "cat d/* > /dev/null");
      double readMs = ms(tRead);

      System.out.printf(Locale.ROOT, "%nSnapshot benchmark: %d files, %.1f MiB of random bytes%n", FILES,
          first.getLogicalBytes() / 1048576.0);
      System.out.printf(Locale.ROOT, "%-34s %12s %12s %10s %10s %12s%n", "", "uploaded B", "stored +B", "new chunks",
          "server ms", "client ms");
      row("first snapshot", first, stored1 - stored0, firstMs);
      row("delta snapshot (1 file of 100)", delta, stored2 - stored1, deltaMs);
      System.out.printf(Locale.ROOT, "create, empty workspace:                 %8.1f ms%n", plainMs);
      System.out.printf(Locale.ROOT, "create from snapshot (first: fetch+materialize, then cached): %s ms%n",
          restores.stream().map(r -> String.format(Locale.ROOT, "%.1f", r)).toList());
      System.out.printf(Locale.ROOT, "read all 100 MiB in a fork (cat d/*):   %8.1f ms%n", readMs);
      assertThat(delta.getUploadedBytes()).isLessThan(first.getUploadedBytes() / 10);
    } finally {
      made.forEach(a::destroy);
      mesh.close();
      dev.phantom.zygote.workspace.Workspaces.deleteTree(dir);
      dev.phantom.zygote.workspace.Workspaces.deleteTree(SnapshotIT.state);
    }
  }

  private static void row(String name, Snapshot s, long storedDelta, double clientMs) {
    System.out.printf(Locale.ROOT, "%-34s %12d %12d %10d %10d %12.1f%n", name, s.getUploadedBytes(), storedDelta,
        s.getNewChunks(), s.getTookMs(), clientMs);
  }

  private static Snapshot snapshot(SessionIT.Client a, Sandbox box) {
    return a.unary(SandboxApiGrpcClient.SnapshotSandbox, SnapshotSandboxRequest.newBuilder().setSandboxId(box.getId()).build());
  }

  private static StoreStats stats(SessionIT.Client a) {
    return a.unary(FragmentStoreApiGrpcClient.Stats, StatsRequest.getDefaultInstance());
  }

  private static double ms(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e6;
  }
}
