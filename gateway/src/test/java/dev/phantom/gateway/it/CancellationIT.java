package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.ExecInput;
import dev.phantom.api.v1.ExecOutput;
import dev.phantom.api.v1.ExecStart;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.api.v1.SandboxApiGrpcClient;
import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Ending a call early (its deadline passes, or the client resets it) kills what the call started. */
class CancellationIT {

  private static EmbeddedMesh mesh;
  private static SessionIT.Client sessions;

  @BeforeAll
  static void start() throws Exception {
    SandboxHost.assumeBubblewrap();
    Path stateDir = Files.createTempDirectory("phantom-cancel-it");
    mesh = EmbeddedMesh.start(SessionIT.meshConfig(stateDir));
    sessions = new SessionIT.Client(mesh.node.mesh().vertx(), mesh.grpcPort, SessionIT.KEY_A);
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  /** A sleep length no other process on the host has: its cmdline is the marker. */
  private static String uniqueSleep() {
    return "300." + ThreadLocalRandom.current().nextInt(100_000, 999_999);
  }

  @Test

  void aRunWhoseDeadlinePassesIsKilled() throws Exception {
    String marker = uniqueSleep();
    Vertx vertx = mesh.node.mesh().vertx();
    GrpcClient client = GrpcClient.client(vertx, new GrpcClientOptions().setScheduleDeadlineAutomatically(true));
    Context context = vertx.getOrCreateContext();
    Promise<GrpcStatus> status = Promise.promise();
    RunRequest request = RunRequest.newBuilder().setProfile("minimal")
        .addAllArgv(List.of("sh", "-c", "sleep " + marker)).build();
    context.runOnContext(v -> client.request(SocketAddress.inetSocketAddress(mesh.grpcPort, "127.0.0.1"), SandboxApiGrpcClient.Run)
        .compose(call -> {
          call.headers().set("authorization", "Bearer " + SessionIT.KEY_A);
          call.timeout(5, TimeUnit.SECONDS);
          return call.send(request);
        })
        .compose(response -> response.last().map(result -> response.status()))
        .onComplete(done -> status.tryComplete(done.succeeded() ? done.result() : statusOf(done.cause()))));

    awaitProcess(marker);
    assertThat(status.future().isComplete()).as("the call is still running while its process is seen").isFalse();

    GrpcStatus ended = EmbeddedMesh.await(status.future());
    assertThat(ended).isIn(GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.CANCELLED);
    awaitNoProcess(marker);
  }

  @Test

  void anExecTheClientResetsIsKilledButTheSessionLives() throws Exception {
    Sandbox box = sessions.create(CreateSandboxRequest.newBuilder().setProfile("minimal").build());
    try {
      String marker = uniqueSleep();
      SessionIT.Call<ExecInput, ExecOutput> call = sessions.open(SandboxApiGrpcClient.Exec);
      call.send(ExecInput.newBuilder().setStart(ExecStart.newBuilder().setSandboxId(box.getId())
          .addAllArgv(List.of("sh", "-c", "sleep " + marker))).build());
      awaitProcess(marker);
      assertThat(call.status.future().isComplete()).isFalse();

      mesh.node.mesh().vertx().getOrCreateContext().runOnContext(v -> call.request.cancel());
      awaitNoProcess(marker);
      // The status is the client's own: the call failed rather than ended OK.
      try {
        EmbeddedMesh.await(call.status.future());
        throw new AssertionError("a reset call must not end OK");
      } catch (RuntimeException expected) {
        // cancelled
      }

      SessionIT.Exec after = sessions.exec(box.getId(), "echo", "still here");
      assertThat(after.stdout()).isEqualTo("still here\n");
    } finally {
      sessions.destroy(box.getId());
    }
  }

  private static GrpcStatus statusOf(Throwable failure) {
    if (failure instanceof dev.phantom.support.PhantomException phantom) {
      return phantom.status();
    }
    if (failure instanceof io.vertx.grpc.client.InvalidStatusException invalid) {
      return invalid.actualStatus();
    }
    String text = String.valueOf(failure);
    for (GrpcStatus s : GrpcStatus.values()) {
      if (text.contains(s.name())) {
        return s;
      }
    }
    // vert.x reports a client-side deadline as a stream reset: that is the client cancelling.
    return GrpcStatus.CANCELLED;
  }

  private static void awaitProcess(String marker) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (SessionIT.processesMentioning(marker).isEmpty()) {
      assertThat(System.nanoTime()).as("a process with " + marker + " appears").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private static void awaitNoProcess(String marker) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!SessionIT.processesMentioning(marker).isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    assertThat(SessionIT.processesMentioning(marker)).as("processes with " + marker + " left").isEmpty();
  }
}
