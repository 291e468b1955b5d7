package dev.phantom.gateway.grpc;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.vertx.core.http.HttpConnection;

/**
 * Makes a unary gRPC reply leave in one write: its headers and message, then its trailers, are flushed
 * together.
 *
 * <p>Why: a reply that comes back from the mesh (not while the connection is reading) is written by vertx-grpc
 * as the message, then the trailers, and Vert.x flushes each at once: two {@code writev}s. The client's call
 * ends only with the trailers, and the first write wakes the client, whose thread, on a busy 2-core host,
 * took the CPU from the gateway's event loop before it wrote the trailers: traced at 0.57 ms between the two
 * writes. Netty's flush consolidation was tried first: it defers every flush to a later task of the event
 * loop, which runs only after whatever else the current task does once the reply is written (metrics, the
 * audit), and the client got its result 0.15-0.25 ms later than with two writes. So the flushes are held
 * only around the reply's own writes, and made once right after them.
 */
public final class ReplyFlushes {

  private ReplyFlushes() {}

  /** For {@code HttpServer.connectionHandler}: lets {@link #end} hold the connection's flushes. */
  public static void install(HttpConnection connection) {
    if (!"false".equals(System.getProperty("phantom.gateway.holdReplyFlushes"))
        && connection instanceof io.vertx.core.http.impl.HttpServerConnection internal) {
      internal.channelHandlerContext().pipeline().addFirst(new FlushHold());
    }
  }

  /**
   * Runs {@code writes} (a response's last writes) with the connection's flushes held, then flushes once.
   * Where the hold cannot apply (another transport, or off the connection's event loop, where Vert.x queues
   * the writes to it instead), the writes run as they are.
   */
  public static void end(HttpConnection connection, Runnable writes) {
    ChannelHandlerContext hold = connection instanceof io.vertx.core.http.impl.HttpServerConnection internal
        ? internal.channelHandlerContext().pipeline().context(FlushHold.class) : null;
    if (hold == null || !hold.executor().inEventLoop()) {
      writes.run();
      return;
    }
    FlushHold flushes = (FlushHold) hold.handler();
    flushes.holding = true;
    try {
      writes.run();
    } finally {
      flushes.holding = false;
      if (flushes.pending) {
        flushes.pending = false;
        hold.flush();
      }
    }
  }

  /** First in the pipeline (the last outbound handler before the socket): it sees every flush. */
  static final class FlushHold extends ChannelOutboundHandlerAdapter {
    // Touched on the channel's event loop only.
    private boolean holding;
    private boolean pending;

    @Override
    public void flush(ChannelHandlerContext ctx) {
      if (holding) {
        pending = true;
      } else {
        ctx.flush();
      }
    }
  }
}
