package dev.phantom.gateway.cli;

import dev.phantom.gateway.mcp.McpServer;
import dev.phantom.gateway.mcp.McpStdioTransport;
import io.vertx.core.Future;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "mcp", mixinStandardHelpOptions = true,
    description = {"Serve the Model Context Protocol on standard input and output, for LLM clients such as "
        + "Claude Desktop (tools: run_code, run_command, list_profiles).",
        "Talks to the gateway given by --gateway or PHANTOM_GATEWAY; without one, starts the mesh in this process.",
        "Standard output carries protocol messages only; logs go to standard error. Exits when standard input ends."})
final class McpCommand implements Callable<Integer> {

  @Mixin
  TargetFlags gateway;

  @Override
  public Integer call() throws Exception {
    // Standard output belongs to the protocol: whatever else would print there goes to stderr.
    OutputStream protocol = new FileOutputStream(FileDescriptor.out);
    System.setOut(new PrintStream(new FileOutputStream(FileDescriptor.err), true));
    Logs.configure(Level.WARNING);
    // A model is never offered the host's directories.
    try (GatewayTarget target = gateway.open(false)) {
      new McpStdioTransport(new McpServer(target.client()), protocol).serve(System.in);
    }
    return 0;
  }

  private static <T> T await(Future<T> future) {
    return future.toCompletionStage().toCompletableFuture().join();
  }
}
