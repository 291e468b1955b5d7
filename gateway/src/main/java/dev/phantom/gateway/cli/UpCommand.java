package dev.phantom.gateway.cli;

import dev.phantom.gateway.GatewayVerticle;
import dev.phantom.support.mesh.MeshOptions;
import dev.phantom.support.mesh.PhantomNode;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "up", mixinStandardHelpOptions = true,
    description = "Start every service in this process (embedded mode) and serve until interrupted.")
final class UpCommand implements Callable<Integer> {

  @Mixin
  MeshFlags flags;

  @Override
  public Integer call() throws Exception {
    Logs.configure(Level.INFO);
    PhantomNode node = PhantomNode.start(MeshOptions.embedded(), List.of(), flags.config())
        .toCompletionStage().toCompletableFuture().join();
    GatewayVerticle gateway = node.service(GatewayVerticle.class).orElseThrow();
    System.out.println("Phantom Fragment is up (embedded): gRPC " + flags.host + ":" + gateway.grpcPort()
        + ", HTTP http://" + flags.host + ":" + gateway.httpPort() + " — Ctrl-C stops it");
    System.out.flush();
    return Foreground.serve(node);
  }
}
