package dev.phantom.support.bus;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.phantom.support.PhantomException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.grpc.common.GrpcStatus;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Request/reply of protobuf messages over the event bus, the same embedded and clustered.
 * Bodies are the messages' bytes in a {@link Buffer}, so no codec has to be registered on any node.
 * A handler's {@link PhantomException} reaches the caller with its status and message intact;
 * anything else becomes {@code INTERNAL} and is logged where it happened.
 */
public final class BusRpc {

  private static final Logger LOG = Logger.getLogger(BusRpc.class.getName());

  private BusRpc() {}

  /** Serves requests on {@code address}: parse, handle, reply with the result or the failure. */
  public static <Q extends MessageLite, R extends MessageLite> MessageConsumer<Buffer> serve(
      EventBus bus, String address, Parser<Q> parser, Function<Q, Future<R>> handler) {
    return bus.consumer(address, (Message<Buffer> message) -> {
      Future<R> reply;
      try {
        reply = handler.apply(parse(parser, message.body()));
      } catch (RuntimeException e) {
        reply = Future.failedFuture(e);
      }
      reply.onComplete(
          result -> message.reply(Buffer.buffer(result.toByteArray())),
          failure -> fail(message, address, failure));
    });
  }

  /** Sends a request and parses the reply; failures come back as {@link PhantomException}. */
  public static <R extends MessageLite> Future<R> request(
      EventBus bus, String address, MessageLite request, Parser<R> parser, long timeoutMs) {
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(timeoutMs);
    return bus.<Buffer>request(address, Buffer.buffer(request.toByteArray()), options)
        .recover(failure -> Future.failedFuture(toPhantom(address, failure)))
        .map(reply -> parse(parser, reply.body()));
  }

  /** Point-to-point message without a reply; messages from one sender to one address keep their order. */
  public static void send(EventBus bus, String address, MessageLite message) {
    bus.send(address, Buffer.buffer(message.toByteArray()));
  }

  /** A message for every consumer of {@code address}. */
  public static void publish(EventBus bus, String address, MessageLite message) {
    bus.publish(address, Buffer.buffer(message.toByteArray()));
  }

  /** Listens to sent or published messages; a body that does not parse is logged and dropped. */
  public static <T extends MessageLite> MessageConsumer<Buffer> listen(
      EventBus bus, String address, Parser<T> parser, Consumer<T> handler) {
    return bus.consumer(address, (Message<Buffer> message) -> {
      T body;
      try {
        body = parse(parser, message.body());
      } catch (PhantomException e) {
        LOG.warning("dropped a message on " + address + ": " + e.getMessage());
        return;
      }
      handler.accept(body);
    });
  }

  private static <T> T parse(Parser<T> parser, Buffer body) {
    try {
      return parser.parseFrom(body.getBytes());
    } catch (InvalidProtocolBufferException e) {
      throw PhantomException.internal("malformed message: " + e.getMessage());
    }
  }

  private static void fail(Message<Buffer> message, String address, Throwable failure) {
    if (failure instanceof PhantomException phantom) {
      // A reply failure carries a code and a message only: the retry hint rides at the end of the
      // message, readable as it is, and is taken back out by the caller's toPhantom.
      message.fail(phantom.status().code, phantom.retryAfterMs() > 0 && !RETRY_AFTER.matcher(phantom.getMessage()).find()
          ? phantom.getMessage() + " (retry after " + phantom.retryAfterMs() + " ms)" : phantom.getMessage());
      return;
    }
    LOG.log(Level.SEVERE, "handler for " + address + " failed", failure);
    message.fail(GrpcStatus.INTERNAL.code, "internal error in " + address + ": " + failure);
  }

  /**
   * Whether a request's failure proves it never reached a handler: no consumer was registered for the
   * address, or the transport failed to hand the message over (the node's connection could not be made or
   * was gone). Such a request may go elsewhere without running twice. A timeout proves nothing.
   */
  public static boolean undelivered(Throwable failure) {
    return failure instanceof ReplyException reply
        && (reply.failureType() == ReplyFailure.NO_HANDLERS || reply.failureType() == ReplyFailure.ERROR);
  }

  /** Maps an event-bus failure to the status a client should see. */
  public static PhantomException toPhantom(String address, Throwable failure) {
    if (!(failure instanceof ReplyException reply)) {
      return PhantomException.internal(failure.toString());
    }
    return switch (reply.failureType()) {
      case RECIPIENT_FAILURE -> recipientFailure(statusOf(reply.failureCode()), reply.getMessage());
      case NO_HANDLERS -> PhantomException.unavailable("no node serves " + address + " right now");
      case TIMEOUT -> PhantomException.unavailable("no answer from " + address + " in time");
      case ERROR -> PhantomException.unavailable("could not reach " + address + ": " + reply.getMessage());
    };
  }

  /** The hint {@link #fail} appends to a RESOURCE_EXHAUSTED message that has a retry time. */
  private static final Pattern RETRY_AFTER = Pattern.compile("\\(retry after (\\d{1,12}) ms\\)$");

  private static PhantomException recipientFailure(GrpcStatus status, String message) {
    String text = message == null ? "" : message;
    Matcher retry = RETRY_AFTER.matcher(text);
    if (status == GrpcStatus.RESOURCE_EXHAUSTED && retry.find()) {
      return PhantomException.resourceExhausted(text, Long.parseLong(retry.group(1)));
    }
    return new PhantomException(status, text);
  }

  private static GrpcStatus statusOf(int code) {
    GrpcStatus status = GrpcStatus.valueOf(code);
    return status == null ? GrpcStatus.UNKNOWN : status;
  }
}
