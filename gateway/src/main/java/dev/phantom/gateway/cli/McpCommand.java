package dev.phantom.gateway.cli;

import dev.phantom.gateway.GatewayVerticle;
import dev.phantom.gateway.client.SandboxClient;
import dev.phantom.gateway.mcp.McpServer;
import dev.phantom.gateway.mcp.McpStdioTransport;
import dev.phantom.support.mesh.MeshOptions;
import dev.phantom.support.mesh.PhantomNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "mcp", mixinStandardHelpOptions = true,
    description = {"Serve the Model Context Protocol on standard input and output, for LLM clients such as "
        + "Claude Desktop (tools: run_code, run_command, list_profiles).",
        "Talks to the gateway given by --gateway or PHANTOM_GATEWAY; without one, starts the mesh in this process.",
        "Standard output carries protocol messages only; logs go to standard error. Exits when standard input ends."})
final class McpCommand implements Callable<Integer> {

  @Option(names = "--gateway", paramLabel = "HOST:PORT", defaultValue = "${env:PHANTOM_GATEWAY}",
      description = "A running gateway (default: $PHANTOM_GATEWAY; unset: run embedded).")
  String gateway;

  @Override
  public Integer call() throws Exception {
    // Standard output belongs to the protocol: whatever else would print there goes to stderr.
    OutputStream protocol = new FileOutputStream(FileDescriptor.out);
    System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
    Logs.configure(Level.WARNING);
    if (gateway != null && !gateway.isBlank()) {
      SocketAddress address = SandboxClient.address(gateway);
      Vertx vertx = Vertx.vertx();
      try {
        serve(new SandboxClient(vertx, address), protocol);
      } finally {
        await(vertx.close());
      }
      return 0;
    }
    PhantomNode node = await(PhantomNode.start(MeshOptions.embedded(), List.of(), embeddedConfig()));
    try {
      int port = node.service(GatewayVerticle.class).orElseThrow().grpcPort();
      serve(new SandboxClient(node.mesh().vertx(), SocketAddress.inetSocketAddress(port, "127.0.0.1")), protocol);
    } finally {
      await(node.close());
    }
    return 0;
  }

  private static void serve(SandboxClient client, OutputStream protocol) throws Exception {
    try {
      new McpStdioTransport(new McpServer(client), protocol).serve(System.in);
    } finally {
      await(client.close());
    }
  }

  /** Loopback only, ports chosen by the kernel; host directories are never offered to a model. */
  private static JsonObject embeddedConfig() {
    return new JsonObject().put("gateway", new JsonObject().put("grpcPort", 0).put("httpPort", 0));
  }

  private static <T> T await(Future<T> future) {
    return future.toCompletionStage().toCompletableFuture().join();
  }
}
