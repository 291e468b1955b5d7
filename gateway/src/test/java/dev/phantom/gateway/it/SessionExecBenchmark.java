package dev.phantom.gateway.it;

import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.support.testing.SandboxHost;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Exec latency of {@code true} in a warm session, through gRPC, the gateway, the bus, the zygote and the
 * agent. Prints figures, asserts nothing; not run by default (run it with
 * {@code -Dit.test=SessionExecBenchmark -Dfailsafe.failIfNoSpecifiedTests=false}).
 */
class SessionExecBenchmark {

  @Test
  void execLatencyOfTrueInAWarmSession() throws Exception {
    SandboxHost.assumeBubblewrap();
    try (EmbeddedMesh mesh = EmbeddedMesh.start(SessionIT.meshConfig(Files.createTempDirectory("phantom-bench")))) {
      SessionIT.Client client = new SessionIT.Client(mesh.node.mesh().vertx(), mesh.grpcPort, SessionIT.KEY_A);
      Sandbox box = client.create(CreateSandboxRequest.newBuilder().setProfile("minimal").build());
      for (int i = 0; i < 20; i++) {
        client.exec(box.getId(), "true");
      }
      long[] micros = new long[100];
      for (int i = 0; i < micros.length; i++) {
        long start = System.nanoTime();
        client.exec(box.getId(), "true");
        micros[i] = (System.nanoTime() - start) / 1000;
      }
      Arrays.sort(micros);
      System.out.printf("session exec of 'true' (warm, n=%d): p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, min %.2f ms%n",
          micros.length, micros[49] / 1000.0, micros[89] / 1000.0, micros[98] / 1000.0, micros[0] / 1000.0);
      client.destroy(box.getId());
    }
  }
}
