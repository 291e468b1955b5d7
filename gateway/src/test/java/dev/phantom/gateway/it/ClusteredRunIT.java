package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.gateway.client.SandboxClient;
import dev.phantom.support.PhantomException;
import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three JVMs on loopback forming one Hazelcast cluster: gateway+orchestrator, policy compiler, zygote.
 * The same request as embedded goes through all three; then the zygote is killed mid-run.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusteredRunIT {

  private static final Duration START_LIMIT = Duration.ofSeconds(60);
  private static final Pattern GRPC_PORT = Pattern.compile("gRPC listening on 127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern NODE_ID = Pattern.compile("^node (\\S+) joined");

  private static LauncherProcess front;
  private static LauncherProcess policy;
  private static LauncherProcess zygote;
  private static String zygoteId;
  private static Vertx vertx;
  private static SandboxClient client;

  @BeforeAll
  static void startCluster() throws Exception {
    SandboxHost.assumeBubblewrap();
    String cluster = "it-" + UUID.randomUUID();
    int port = freePort();
    String join = "127.0.0.1:" + port;
    front = LauncherProcess.start("node", "--role", "gateway,orchestrator", "--cluster-name", cluster,
        "--cluster-port", String.valueOf(port), "--grpc-port", "0", "--http-port", "0", "--insecure-local");
    int grpcPort = Integer.parseInt(front.awaitLine(GRPC_PORT, START_LIMIT));
    policy = LauncherProcess.start("node", "--role", "policy", "--cluster-name", cluster,
        "--cluster-port", String.valueOf(port + 1), "--join", join);
    zygote = LauncherProcess.start("node", "--role", "zygote", "--cluster-name", cluster,
        "--cluster-port", String.valueOf(port + 2), "--join", join);
    policy.awaitLine(NODE_ID, START_LIMIT);
    zygoteId = zygote.awaitLine(NODE_ID, START_LIMIT);
    vertx = Vertx.vertx();
    client = new SandboxClient(vertx, SocketAddress.inetSocketAddress(grpcPort, "127.0.0.1"));
  }

  @AfterAll
  static void stopCluster() throws Exception {
    for (LauncherProcess process : new LauncherProcess[] {zygote, policy, front}) {
      if (process != null) {
        process.close();
      }
    }
    if (vertx != null) {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  @Order(1)
  void aRunCrossesAllThreeJvms() throws Exception {
    RunResult result = runWhenReady(EmbeddedMesh.request("minimal", "sh", "-c", "echo clustered; exit 4"));

    assertThat(result.getStatus()).isEqualTo(RunStatus.RUN_STATUS_OK);
    assertThat(result.getStdout().toStringUtf8()).isEqualTo("clustered\n");
    assertThat(result.getExitCode()).isEqualTo(4);
    assertThat(result.getNodeId()).isEqualTo(zygoteId);
  }

  @Test
  @Order(2)
  void streamingWorksAcrossTheCluster() throws Exception {
    StringBuilder out = new StringBuilder();
    RunResult exit = await(client.runStream(EmbeddedMesh.request("python-dev", "python3", "-c", "print('py')"),
        event -> {
          if (event.hasOutput()) {
            out.append(event.getOutput().getData().toStringUtf8());
          }
        }));

    assertThat(exit.getExitCode()).isZero();
    assertThat(out.toString()).isEqualTo("py\n");
  }

  @Test
  @Order(3)
  void aZygoteDyingMidRunIsUnavailableNotAHang() throws Exception {
    Future<RunResult> running = client.run(EmbeddedMesh.request("minimal", "sleep", "50").toBuilder()
        .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(45)).build());
    Thread.sleep(1_500);
    zygote.process.destroyForcibly();

    long start = System.nanoTime();
    CompletableFuture<RunResult> outcome = running.toCompletionStage().toCompletableFuture();
    try {
      outcome.get(30, TimeUnit.SECONDS);
      throw new AssertionError("the run should have failed once its node died");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOfSatisfying(PhantomException.class, failure -> {
        assertThat(failure.status()).isEqualTo(GrpcStatus.UNAVAILABLE);
        assertThat(failure.getMessage()).contains(zygoteId);
      });
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
  }

  /** The zygote's first report may still be on its way when the cluster has formed. */
  private static RunResult runWhenReady(dev.phantom.api.v1.RunRequest request) throws Exception {
    long deadline = System.nanoTime() + START_LIMIT.toNanos();
    while (true) {
      try {
        return await(client.run(request));
      } catch (ExecutionException e) {
        boolean notYet = e.getCause() instanceof PhantomException p && p.status() == GrpcStatus.UNAVAILABLE;
        if (!notYet || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
