package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.ExecStart;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.Future;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** phantom exec --stdin: input reaches the command while it runs, not only once the input has ended. */
class LiveStdinIT {

  @Test
  void eachLineReachesTheCommandBeforeTheInputEnds() throws Exception {
    SandboxHost.assumeBubblewrap();
    try (EmbeddedMesh mesh = EmbeddedMesh.start()) {
      Sandbox sandbox = EmbeddedMesh.await(mesh.client.createSandbox(
          CreateSandboxRequest.newBuilder().setProfile("minimal").build()));
      PipedOutputStream typing = new PipedOutputStream();
      PipedInputStream input = new PipedInputStream(typing);
      StringBuffer output = new StringBuffer();
      CountDownLatch firstEchoed = new CountDownLatch(1);
      Future<RunResult> exec = mesh.client.execLive(ExecStart.newBuilder().setSandboxId(sandbox.getId())
          .addArgv("sh").addArgv("-c").addArgv("while read line; do echo \"got $line\"; done").build(), input,
          chunk -> {
            output.append(chunk.getData().toStringUtf8());
            if (output.indexOf("got first") >= 0) {
              firstEchoed.countDown();
            }
          });

      typing.write("first\n".getBytes(StandardCharsets.UTF_8));
      typing.flush();
      // The answer to the first line comes while the input is still open.
      assertThat(firstEchoed.await(30, TimeUnit.SECONDS)).as("output so far: %s", output).isTrue();
      typing.write("second\n".getBytes(StandardCharsets.UTF_8));
      typing.close();

      RunResult exit = EmbeddedMesh.await(exec);
      assertThat(exit.getExitCode()).isZero();
      assertThat(output.toString()).isEqualTo("got first\ngot second\n");
      EmbeddedMesh.await(mesh.client.destroySandbox(sandbox.getId()));
    }
  }
}
