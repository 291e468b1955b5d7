package dev.phantom.gateway.it.abuse;

import static dev.phantom.gateway.it.abuse.Sandboxes.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.gateway.client.SandboxClient;
import dev.phantom.gateway.it.EmbeddedMesh;
import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.Future;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What an agent backend does without thinking about it must not break the service: many calls at once, on
 * one connection or several, and results as large as the profile lets them be, through the project's own
 * client. Runs against a mesh of its own, so that damage done here (a node left "at capacity") cannot fail
 * the other abuse tests. The test that breaks connections today runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConnectionIT {

  private static final String PROFILES = "dev.phantom.gateway.it.abuse.AbuseConfig#profiles";
  private static final int MIB = 1024 * 1024;

  private static EmbeddedMesh mesh;

  @BeforeAll
  static void start() {
    SandboxHost.assumeBubblewrap();
    // Hundreds of calls a second from one address: the rate limiter is not what this test is about.
    io.vertx.core.json.JsonObject config = AbuseConfig.nodeConfig().copy();
    config.put("gateway", config.getJsonObject("gateway", new io.vertx.core.json.JsonObject()).copy()
        .put("rateLimitPerSecond", 0));
    mesh = EmbeddedMesh.start(config);
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  @Order(2)
  void manyConcurrentRunsOnOneConnectionAllSucceed(String profile) {
    SandboxClient client = newClient();
    List<Future<RunResult>> runs = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      runs.add(client.run(request(profile, "sh", "-c", "echo run " + i).build()));
    }

    for (int i = 0; i < runs.size(); i++) {
      RunResult result = EmbeddedMesh.await(runs.get(i));
      assertThat(result.getStatus()).as("run %s: %s", i, Sandboxes.describe(result)).isEqualTo(RunStatus.RUN_STATUS_OK);
      assertThat(result.getStdout().toStringUtf8()).isEqualTo("run " + i + "\n");
    }
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  @Order(3)
  void runsOnSeveralConnectionsAtOnceAllSucceedAndFreeTheirSlots(String profile) throws Exception {
    int connections = 4;
    int runsEach = 50;
    AtomicInteger ok = new AtomicInteger();
    List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (ExecutorService workers = Executors.newFixedThreadPool(connections)) {
      for (int w = 0; w < connections; w++) {
        SandboxClient client = newClient();
        workers.submit(() -> {
          for (int i = 0; i < runsEach; i++) {
            try {
              RunResult result = EmbeddedMesh.await(client.run(request(profile, "true").build()));
              if (result.getStatus() == RunStatus.RUN_STATUS_OK) {
                ok.incrementAndGet();
              }
            } catch (RuntimeException e) {
              failures.add(e);
            }
          }
        });
      }
    }
    // Whatever happened above, a node must not stay full of runs that ended.
    RunResult after = EmbeddedMesh.await(newClient().run(request(profile, "echo", "after").build()));

    assertThat(failures).as("calls that failed").isEmpty();
    assertThat(ok.get()).isEqualTo(connections * runsEach);
    assertThat(after.getStdout().toStringUtf8()).isEqualTo("after\n");
  }

  @ParameterizedTest
  @MethodSource(PROFILES)
  @Order(1)
  void theProjectsClientReceivesAResultWithFullOutput(String profile) {
    RunResult result = EmbeddedMesh.await(newClient().run(request(profile, "sh", "-c",
        "head -c " + 2 * MIB + " /dev/zero; head -c " + 2 * MIB + " /dev/zero >&2").build()));

    assertThat(result.getStdout().size()).as(Sandboxes.describe(result)).isEqualTo(MIB);
    assertThat(result.getStderr().size()).isEqualTo(MIB);
  }

  private static SandboxClient newClient() {
    return new SandboxClient(mesh.node.mesh().vertx(), SocketAddress.inetSocketAddress(mesh.grpcPort, "127.0.0.1"));
  }
}
