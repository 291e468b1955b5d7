package dev.phantom.gateway.mcp;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * MCP's stdio transport: one JSON-RPC message per line on standard input, one response per line on
 * standard output, nothing else ever on standard output. Each message is handled as it arrives, so a
 * ping or a second tool call is answered while a long run is still going; a single writer thread
 * writes each response whole, and never on an event loop (a client slow to read would stall it).
 */
public final class McpStdioTransport {

  private static final Logger LOG = Logger.getLogger(McpStdioTransport.class.getName());

  private final McpServer server;
  private final OutputStream out;
  private final ExecutorService writer = Executors.newSingleThreadExecutor(
      Thread.ofPlatform().name("mcp-stdout").daemon().factory());
  /** One party for the reader, one per message in flight: EOF waits for the answers still owed. */
  private final Phaser inFlight = new Phaser(1);

  public McpStdioTransport(McpServer server, OutputStream out) {
    this.server = server;
    this.out = out;
  }

  /**
   * Serves until {@code in} ends, then waits for the responses still owed (runs end at their
   * timeouts) and returns. Blocks the calling thread.
   */
  public void serve(InputStream in) throws IOException {
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        inFlight.register();
        try {
          server.handleText(line).onComplete(response -> {
            if (response != null) {
              write(response);
            }
            inFlight.arriveAndDeregister();
          }, failure -> {
            LOG.log(Level.WARNING, "an MCP message failed unexpectedly", failure);
            inFlight.arriveAndDeregister();
          });
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "an MCP message failed unexpectedly", e);
          inFlight.arriveAndDeregister();
        }
      }
    } finally {
      inFlight.arriveAndAwaitAdvance();
      writer.shutdown();
      try {
        writer.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void write(JsonObject response) {
    // encode() never emits a raw newline: line breaks inside strings are escaped.
    byte[] line = (response.encode() + "\n").getBytes(StandardCharsets.UTF_8);
    writer.execute(() -> {
      try {
        out.write(line);
        out.flush();
      } catch (IOException e) {
        // The client closed our stdout: nobody is left to answer.
        LOG.log(Level.FINE, "stdout closed, a response is lost", e);
      }
    });
  }
}
