package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.gateway.client.SandboxClient;
import dev.phantom.support.PhantomException;
import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Placement, admission and failure across separate JVMs on loopback: one gateway+orchestrator+policy node and
 * two zygote nodes whose pressure files come from directories this test writes (zygote.pressureDir), so one
 * node's pressure can be skewed deterministically on a host that others load too. In order: placement moves
 * away from a pressured node; offered load at twice the capacity is partly shed, never lost; a zygote killed
 * with SIGKILL mid-load leaves every request with a result or a status. Figures are printed, not asserted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PressurePlacementIT {

  private static final Duration START_LIMIT = Duration.ofSeconds(90);
  private static final Pattern GRPC_PORT = Pattern.compile("gRPC listening on 127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern NODE_ID = Pattern.compile("^node (\\S+) joined");
  /** Sandboxes per zygote node: small, so that twice the capacity is little load for the host. */
  private static final int CAPACITY = 3;
  private static final String CALM = "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
  private static final String HOT = "some avg10=95.00 avg60=60.00 avg300=20.00 total=99999999\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";

  private static Path dir;
  private static LauncherProcess front;
  private static final List<LauncherProcess> zygotes = new ArrayList<>();
  private static final List<String> zygoteIds = new ArrayList<>();
  private static Vertx vertx;
  private static SandboxClient client;

  @BeforeAll
  static void startCluster() throws Exception {
    SandboxHost.assumeBubblewrap();
    dir = Files.createTempDirectory(Path.of("target"), "pressure-it").toAbsolutePath();
    // The zygotes' state dirs are under it: the sandbox user must be able to reach its workspace.
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    String cluster = "it-" + UUID.randomUUID();
    int port = freePort();
    String join = "127.0.0.1:" + port;
    // Pool sizing off: warm slots appearing mid-test would change the placement tiers being measured.
    Path frontConfig = write("front.json", new JsonObject()
        .put("orchestrator", new JsonObject().put("poolSizingIntervalMs", 0))
        .put("gateway", new JsonObject().put("rateLimitPerSecond", 0)));
    front = LauncherProcess.start("node", "--role", "gateway,orchestrator,policy", "--cluster-name", cluster,
        "--cluster-port", String.valueOf(port), "--grpc-port", "0", "--http-port", "0", "--insecure-local",
        "--config", frontConfig.toString());
    int grpcPort = Integer.parseInt(front.awaitLine(GRPC_PORT, START_LIMIT));
    for (int i = 0; i < 2; i++) {
      Path pressure = Files.createDirectories(dir.resolve("pressure-" + i));
      for (String resource : List.of("cpu", "memory", "io")) {
        Files.writeString(pressure.resolve(resource), CALM);
      }
      Path config = write("zygote-" + i + ".json", new JsonObject().put("zygote", new JsonObject()
          .put("pressureDir", pressure.toString()).put("maxConcurrent", CAPACITY).put("pools", new JsonArray())));
      zygotes.add(LauncherProcess.start("node", "--role", "zygote", "--cluster-name", cluster,
          "--cluster-port", String.valueOf(port + 1 + i), "--join", join, "--config", config.toString(),
          "--state-dir", dir.resolve("state-" + i).toString()));
    }
    for (LauncherProcess zygote : zygotes) {
      zygoteIds.add(zygote.awaitLine(NODE_ID, START_LIMIT));
    }
    vertx = Vertx.vertx();
    client = new SandboxClient(vertx, SocketAddress.inetSocketAddress(grpcPort, "127.0.0.1"));
    awaitBothNodesServe();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    for (LauncherProcess process : zygotes) {
      process.close();
    }
    if (front != null) {
      front.close();
    }
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Order(1)
  void placementMovesAwayFromAPressuredNode() throws Exception {
    Map<String, Integer> calm = share(Load.closed(40, 2, request("true")));
    setPressure(0, HOT);
    Map<String, Integer> skewed = share(Load.closed(40, 2, request("true")));
    setPressure(0, CALM);
    System.out.println("[placement] share of runs per node, both calm: " + calm + "; node " + zygoteIds.get(0)
        + " at cpu some avg10 95%: " + skewed);

    assertThat(calm).containsKeys(zygoteIds.get(0), zygoteIds.get(1));
    assertThat(skewed.getOrDefault(zygoteIds.get(0), 0)).as("runs on the pressured node").isLessThanOrEqualTo(4);
    assertThat(skewed.getOrDefault(zygoteIds.get(1), 0)).isGreaterThanOrEqualTo(36);
  }

  @Test
  @Order(2)
  void overloadIsShedWithResourceExhaustedAndNothingIsLost() throws Exception {
    // Capacity: 2 nodes x 3 sandboxes of ~0.5 s each, about 12 runs a second once spawns are counted.
    // Offered: 24 a second for 10 s, open loop. An admitted run waits at most the admission queue's 250 ms
    // before it is placed, so its latency stays within 0.5 s + 250 ms + the spawn (printed, not asserted).
    Load load = Load.open(24, Duration.ofSeconds(10), request("sleep", "0.5"));
    Load.Summary summary = load.await(Duration.ofSeconds(90));
    System.out.println("[overload] offered 24/s for 10 s at capacity ~12/s (2 nodes x " + CAPACITY + " x 0.5 s): "
        + summary);

    assertThat(summary.unanswered()).as("requests without a result or a status").isZero();
    assertThat(summary.count("OK")).isPositive();
    assertThat(summary.count("RESOURCE_EXHAUSTED")).as("shed").isPositive();
    assertThat(summary.outcomes()).filteredOn(o -> o.message().startsWith("no zygote node can take more work"))
        .as("shed by admission control, with a retry time").isNotEmpty()
        .allSatisfy(o -> assertThat(o.message()).contains("(retry after 1000 ms)"));
    assertThat(summary.total()).isEqualTo(240);
    assertThat(summary.statuses().keySet()).isSubsetOf("OK", "RESOURCE_EXHAUSTED");
  }

  @Test
  @Order(3)
  void aNodeKilledMidLoadLeavesEveryRequestAccountedFor() throws Exception {
    Load load = Load.open(8, Duration.ofSeconds(8), request("sleep", "0.3"));
    Thread.sleep(3_000);
    zygotes.get(0).process.destroyForcibly();
    long killedAt = System.nanoTime();
    Load.Summary summary = load.await(Duration.ofSeconds(90));
    System.out.println("[kill] offered 8/s for 8 s, node " + zygoteIds.get(0) + " killed (SIGKILL) at 3 s: "
        + summary + "; after the kill: " + summary.nodesAfter(killedAt));

    assertThat(summary.unanswered()).as("requests without a result or a status").isZero();
    assertThat(summary.total()).isEqualTo(64);
    assertThat(summary.statuses().keySet()).isSubsetOf("OK", "RESOURCE_EXHAUSTED", "UNAVAILABLE");
    assertThat(summary.nodesAfter(killedAt + Duration.ofSeconds(3).toNanos()))
        .as("runs that started 3 s after the kill").containsOnlyKeys(zygoteIds.get(1));
    assertThat(summary.failures()).allSatisfy(message -> assertThat(message).doesNotContain("Exception"));

    // The killed node left its sandboxes' workspaces mounted; its next start on that state dir removes them.
    Path killedState = dir.resolve("state-0");
    try (LauncherProcess again = LauncherProcess.start("node", "--role", "zygote", "--cluster-name",
        "it-cleanup-" + UUID.randomUUID(), "--cluster-port", String.valueOf(freePort()), "--config",
        write("zygote-again.json", new JsonObject().put("zygote", new JsonObject().put("pools", new JsonArray())))
            .toString(), "--state-dir", killedState.toString())) {
      again.awaitLine(NODE_ID, START_LIMIT);
      assertThat(Files.readAllLines(Path.of("/proc/self/mounts")))
          .as("mounts under the killed node's state dir after its next start")
          .noneMatch(line -> line.contains(killedState.toString()));
    }
  }

  private static RunRequest request(String... argv) {
    return EmbeddedMesh.request("minimal", argv).toBuilder()
        .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(20)).build();
  }

  private static Map<String, Integer> share(Load.Summary summary) {
    assertThat(summary.statuses()).containsOnlyKeys("OK");
    return summary.nodes();
  }

  private static void setPressure(int node, String cpu) throws Exception {
    Files.writeString(dir.resolve("pressure-" + node).resolve("cpu"), cpu);
    Thread.sleep(1_200); // two report periods: every orchestrator has heard it
  }

  private static Path write(String name, JsonObject config) throws IOException {
    return Files.writeString(dir.resolve(name), config.encodePrettily());
  }

  /** Both zygotes' first reports may still be on their way when the cluster has formed. */
  private static void awaitBothNodesServe() throws Exception {
    long deadline = System.nanoTime() + START_LIMIT.toNanos();
    while (true) {
      Load.Summary probe = Load.closed(8, 2, request("true"));
      if (probe.nodes().keySet().containsAll(zygoteIds)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("both zygotes never took runs: " + probe);
      }
      Thread.sleep(500);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  /** Requests sent through the gateway's gRPC API, each remembered with its outcome and latency. */
  static final class Load {

    record Outcome(long startNanos, long endNanos, String status, String node, String message) {}

    private final List<CompletableFuture<Outcome>> outcomes = new ArrayList<>();

    /** Open loop: {@code perSecond} requests a second for {@code length}, whatever the answers. */
    static Load open(int perSecond, Duration length, RunRequest request) throws InterruptedException {
      Load load = new Load();
      long interval = 1_000_000_000L / perSecond;
      long start = System.nanoTime();
      int count = (int) (length.toNanos() / interval);
      Thread sender = Thread.ofPlatform().start(() -> {
        for (int i = 0; i < count; i++) {
          long due = start + i * interval;
          long wait = due - System.nanoTime();
          if (wait > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(wait);
          }
          load.send(request);
        }
      });
      // The caller may act while the load runs (kill a node); await() joins the sender first.
      load.sender = sender;
      return load;
    }

    /** Closed loop: {@code total} requests, {@code concurrency} at a time. */
    static Summary closed(int total, int concurrency, RunRequest request) throws Exception {
      Load load = new Load();
      for (int i = 0; i < total; i += concurrency) {
        List<CompletableFuture<Outcome>> batch = new ArrayList<>();
        for (int j = 0; j < concurrency && i + j < total; j++) {
          batch.add(load.send(request));
        }
        CompletableFuture.allOf(batch.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      }
      return load.await(Duration.ofSeconds(60));
    }

    private Thread sender;

    private synchronized CompletableFuture<Outcome> send(RunRequest request) {
      long start = System.nanoTime();
      CompletableFuture<Outcome> outcome = client.run(request).toCompletionStage().toCompletableFuture()
          .handle((result, failure) -> {
            long end = System.nanoTime();
            if (failure == null) {
              return new Outcome(start, end, result.getStatus() == RunStatus.RUN_STATUS_OK ? "OK"
                  : result.getStatus().name(), result.getNodeId(), result.getMessage());
            }
            Throwable cause = failure instanceof java.util.concurrent.CompletionException c ? c.getCause() : failure;
            String status = cause instanceof PhantomException p ? p.status().name() : cause.getClass().getSimpleName();
            return new Outcome(start, end, status, "", String.valueOf(cause.getMessage()));
          });
      outcomes.add(outcome);
      return outcome;
    }

    Summary await(Duration limit) throws Exception {
      if (sender != null) {
        sender.join();
      }
      long deadline = System.nanoTime() + limit.toNanos();
      List<Outcome> done = new ArrayList<>();
      int unanswered = 0;
      List<CompletableFuture<Outcome>> all;
      synchronized (this) {
        all = List.copyOf(outcomes);
      }
      for (CompletableFuture<Outcome> outcome : all) {
        try {
          done.add(outcome.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
        } catch (TimeoutException | ExecutionException e) {
          unanswered++;
        }
      }
      return new Summary(done, unanswered);
    }

    record Summary(List<Outcome> outcomes, int unanswered) {

      int total() {
        return outcomes.size() + unanswered;
      }

      int count(String status) {
        return (int) outcomes.stream().filter(o -> o.status().equals(status)).count();
      }

      Map<String, Integer> statuses() {
        Map<String, Integer> out = new TreeMap<>();
        outcomes.forEach(o -> out.merge(o.status(), 1, Integer::sum));
        return out;
      }

      Map<String, Integer> nodes() {
        Map<String, Integer> out = new TreeMap<>();
        outcomes.stream().filter(o -> !o.node().isEmpty()).forEach(o -> out.merge(o.node(), 1, Integer::sum));
        return out;
      }

      /** Runs that got a result, by node, among those sent after {@code nanos} (System.nanoTime). */
      Map<String, Integer> nodesAfter(long nanos) {
        Map<String, Integer> out = new TreeMap<>();
        outcomes.stream().filter(o -> !o.node().isEmpty() && o.startNanos() - nanos > 0)
            .forEach(o -> out.merge(o.node(), 1, Integer::sum));
        return out;
      }

      List<String> failures() {
        return outcomes.stream().map(Outcome::message).filter(m -> !m.isEmpty()).distinct().toList();
      }

      /** Latency percentile of the runs that got a result, in milliseconds. */
      long admittedMillis(double q) {
        long[] sorted = outcomes.stream().filter(o -> o.status().equals("OK"))
            .mapToLong(o -> (o.endNanos() - o.startNanos()) / 1_000_000).sorted().toArray();
        return sorted.length == 0 ? 0 : sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
      }

      /** Who refused: the orchestrator's admission control, or a zygote node that was full. */
      String shedBy() {
        long admission = outcomes.stream().filter(o -> o.message().startsWith("no zygote node can take more work")).count();
        long node = outcomes.stream().filter(o -> o.message().contains("already runs")).count();
        return "shed by admission " + admission + ", refused by a full node " + node;
      }

      @Override
      public String toString() {
        return total() + " requests: " + statuses() + " (" + shedBy() + "), unanswered " + unanswered + "; by node " + nodes()
            + "; admitted latency p50 " + admittedMillis(0.50) + " ms, p99 " + admittedMillis(0.99) + " ms"
            + (failures().isEmpty() ? "" : "; failure messages " + failures().stream().limit(4).toList());
      }
    }
  }
}
