package dev.phantom.gateway.access;

import dev.phantom.gateway.core.ApiKeys;
import dev.phantom.gateway.core.TokenBuckets;
import dev.phantom.support.PhantomException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.MultiMap;
import io.vertx.grpc.common.GrpcStatus;
import java.util.Optional;

/**
 * Who is calling, and whether they may now: API keys ({@code Authorization: Bearer KEY} or
 * {@code x-api-key: KEY}, on gRPC metadata and HTTP headers alike) and a token bucket per caller.
 * With no keys configured every caller is anonymous and limited per remote address. Owned by the
 * gateway verticle's event loop.
 */
public final class AccessControl {

  private final ApiKeys keys;
  private final TokenBuckets buckets;
  private final MeterRegistry meters;

  public AccessControl(ApiKeys keys, TokenBuckets buckets, MeterRegistry meters) {
    this.keys = keys;
    this.buckets = buckets;
    this.meters = meters;
  }

  /**
   * @param api "grpc", "rest" or "mcp", for the meters
   * @return the caller's name
   * @throws PhantomException UNAUTHENTICATED without a valid key (when keys are configured), or
   *     RESOURCE_EXHAUSTED over the rate, with {@link PhantomException#retryAfterMs()}
   */
  public String admit(MultiMap headers, String remoteHost, String api) {
    String caller;
    if (keys.isEmpty()) {
      caller = "anonymous@" + remoteHost;
    } else {
      Optional<String> presented = presentedKey(headers);
      Optional<String> name = presented.flatMap(keys::match);
      if (name.isEmpty()) {
        Counter.builder("phantom.auth.failures").description("Calls refused for a missing or unknown API key")
            .tag("api", api).register(meters).increment();
        throw new PhantomException(GrpcStatus.UNAUTHENTICATED, presented.isEmpty()
            ? "an API key is required: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'"
            : "unknown API key");
      }
      caller = name.get();
    }
    long retryAfterMs = buckets.acquire(caller, System.nanoTime());
    if (retryAfterMs > 0) {
      Counter.builder("phantom.ratelimit.hits").description("Calls refused for going over the rate limit")
          .tag("api", api).register(meters).increment();
      throw PhantomException.resourceExhausted("rate limit exceeded; retry after " + retryAfterMs + " ms", retryAfterMs);
    }
    return caller;
  }

  private static Optional<String> presentedKey(MultiMap headers) {
    String authorization = headers.get("authorization");
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.of(authorization.substring(7).trim());
    }
    return Optional.ofNullable(headers.get("x-api-key")).map(String::trim);
  }
}
