package dev.phantom.gateway.cli;

import dev.phantom.gateway.GatewayVerticle;
import dev.phantom.support.mesh.MeshOptions;
import dev.phantom.support.mesh.PhantomNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "node", mixinStandardHelpOptions = true,
    description = "Run some roles in this process as a member of a cluster (Hazelcast over TCP).")
final class NodeCommand implements Callable<Integer> {

  @Option(names = "--role", split = ",", required = true,
      description = "Roles to run: gateway, orchestrator, policy, zygote (repeat or comma-separate).")
  List<String> roles = new ArrayList<>();

  @Option(names = "--cluster-name", defaultValue = MeshOptions.DEFAULT_CLUSTER_NAME,
      description = "Only members with the same name join each other (default: ${DEFAULT-VALUE}).")
  String clusterName;

  @Option(names = "--cluster-host", defaultValue = MeshOptions.DEFAULT_HOST,
      description = "Address the cluster binds to (default: ${DEFAULT-VALUE}).")
  String clusterHost;

  @Option(names = "--cluster-port", defaultValue = "5701",
      description = "Cluster port; the next free one is taken if busy (default: ${DEFAULT-VALUE}).")
  int clusterPort;

  @Option(names = "--join", split = ",", paramLabel = "HOST:PORT|kubernetes:SERVICE_DNS",
      description = "Members to join through (default: this node's own cluster address), or "
          + "kubernetes:SERVICE_DNS to find them through a headless Service's DNS records.")
  List<String> join = new ArrayList<>();

  @Mixin
  MeshFlags flags;

  @Override
  public Integer call() throws Exception {
    Logs.configure(Level.INFO);
    MeshOptions options = MeshOptions.cluster(clusterName, clusterHost, clusterPort, join);
    PhantomNode node = PhantomNode.start(options, roles, flags.config())
        .toCompletionStage().toCompletableFuture().join();
    System.out.println("node " + node.mesh().membership().selfId() + " joined cluster '" + clusterName
        + "' with roles " + roles);
    node.service(GatewayVerticle.class).ifPresent(gateway -> System.out.println(
        "gRPC listening on " + flags.host + ":" + gateway.grpcPort() + ", HTTP on http://" + flags.host + ":"
            + gateway.httpPort()));
    System.out.flush();
    return Foreground.serve(node);
  }
}
