package dev.phantom.support.bus;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.StringValue;
import dev.phantom.support.PhantomException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BusRpcTest {

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void aReplyArrivesParsed() throws Exception {
    BusRpc.serve(vertx.eventBus(), "echo", StringValue.parser(),
        request -> Future.succeededFuture(StringValue.of(request.getValue() + "!"))).completion()
        .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);

    assertThat(await(BusRpc.request(vertx.eventBus(), "echo", StringValue.of("hi"), StringValue.parser(), 1_000))
        .getValue()).isEqualTo("hi!");
  }

  @Test
  void aHandlersStatusAndMessageCrossTheBus() throws Exception {
    BusRpc.serve(vertx.eventBus(), "fails", StringValue.parser(),
        request -> Future.failedFuture(PhantomException.notFound("no such thing: " + request.getValue())));

    PhantomException failure = failureOf(BusRpc.request(vertx.eventBus(), "fails", StringValue.of("x"),
        StringValue.parser(), 1_000));
    assertThat(failure.status()).isEqualTo(GrpcStatus.NOT_FOUND);
    assertThat(failure.getMessage()).isEqualTo("no such thing: x");
  }

  @Test
  void aRetryHintCrossesTheBusWithItsStatus() throws Exception {
    BusRpc.serve(vertx.eventBus(), "shed", StringValue.parser(),
        request -> Future.failedFuture(PhantomException.resourceExhausted("every node is busy", 1_500)));

    PhantomException failure = failureOf(BusRpc.request(vertx.eventBus(), "shed", StringValue.of("x"),
        StringValue.parser(), 1_000));
    assertThat(failure.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
    assertThat(failure.retryAfterMs()).isEqualTo(1_500);
    assertThat(failure.getMessage()).isEqualTo("every node is busy (retry after 1500 ms)");
  }

  @Test
  void aHandlerBugIsInternalNotAHang() throws Exception {
    BusRpc.serve(vertx.eventBus(), "throws", StringValue.parser(), request -> {
      throw new IllegalStateException("boom");
    });

    PhantomException failure = failureOf(BusRpc.request(vertx.eventBus(), "throws", StringValue.of("x"),
        StringValue.parser(), 1_000));
    assertThat(failure.status()).isEqualTo(GrpcStatus.INTERNAL);
    assertThat(failure.getMessage()).contains("boom");
  }

  @Test
  void nobodyListeningIsUnavailable() throws Exception {
    PhantomException failure = failureOf(BusRpc.request(vertx.eventBus(), "nobody", StringValue.of("x"),
        StringValue.parser(), 1_000));
    assertThat(failure.status()).isEqualTo(GrpcStatus.UNAVAILABLE);
    assertThat(failure.getMessage()).contains("nobody");
  }

  @Test
  void noAnswerInTimeIsUnavailable() throws Exception {
    vertx.eventBus().consumer("silent", message -> { });

    PhantomException failure = failureOf(BusRpc.request(vertx.eventBus(), "silent", StringValue.of("x"),
        StringValue.parser(), 100));
    assertThat(failure.status()).isEqualTo(GrpcStatus.UNAVAILABLE);
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private static PhantomException failureOf(Future<?> future) throws Exception {
    try {
      await(future);
    } catch (ExecutionException e) {
      return (PhantomException) e.getCause();
    }
    throw new AssertionError("expected a failure");
  }
}
