package dev.phantom.gateway.access;

import dev.phantom.gateway.core.ApiKeys;
import dev.phantom.gateway.core.TokenBuckets;
import dev.phantom.support.PhantomException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.MultiMap;
import io.vertx.grpc.common.GrpcStatus;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Who is calling, and whether they may now: API keys ({@code Authorization: Bearer KEY} or
 * {@code x-api-key: KEY}, on gRPC metadata and HTTP headers alike), a token bucket per caller (a key's
 * own rate, else the gateway's), and the sandboxes each key may hold at once. With no keys (only
 * allowed as insecure-local, on loopback) every caller is anonymous and limited per remote address.
 * Owned by the gateway verticle's event loop.
 */
public final class AccessControl {

  private final ApiKeys keys;
  private final TokenBuckets defaultBuckets;
  private final Map<String, TokenBuckets> keyBuckets = new HashMap<>();
  private final Map<String, Integer> inUse = new HashMap<>();
  /** Each key's maximum of sandboxes held at once, by key name (absent or 0: no maximum). */
  private final Map<String, Integer> maxSandboxes = new HashMap<>();
  private final MeterRegistry meters;

  public AccessControl(ApiKeys keys, TokenBuckets defaultBuckets, MeterRegistry meters) {
    this.keys = keys;
    this.defaultBuckets = defaultBuckets;
    this.meters = meters;
    for (ApiKeys.ApiKey key : keys.keys()) {
      maxSandboxes.putIfAbsent(key.name(), key.maxSandboxes());
      if (key.ratePerSecond() > 0) {
        keyBuckets.put(key.name(), new TokenBuckets(key.ratePerSecond(), Math.max(1, 2 * key.ratePerSecond())));
      }
    }
  }

  /**
   * @param api "grpc", "rest" or "mcp", for the meters
   * @return the caller's name: its key's, or {@code anonymous@ADDRESS}
   * @throws PhantomException UNAUTHENTICATED without a valid key (when keys are configured), or
   *     RESOURCE_EXHAUSTED over the rate, with {@link PhantomException#retryAfterMs()}
   */
  public String admit(MultiMap headers, String remoteHost, String api) {
    String caller;
    if (keys.isEmpty()) {
      caller = "anonymous@" + remoteHost;
    } else {
      Optional<String> presented = presentedKey(headers);
      Optional<ApiKeys.ApiKey> key = presented.flatMap(keys::match);
      if (key.isEmpty()) {
        Counter.builder("phantom.auth.failures").description("Calls refused for a missing or unknown API key")
            .tag("api", api).register(meters).increment();
        throw new PhantomException(GrpcStatus.UNAUTHENTICATED, presented.isEmpty()
            ? "an API key is required: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'"
            : "unknown API key");
      }
      caller = key.get().name();
    }
    long retryAfterMs = keyBuckets.getOrDefault(caller, defaultBuckets).acquire(caller, System.nanoTime());
    if (retryAfterMs > 0) {
      Counter.builder("phantom.ratelimit.hits").description("Calls refused for going over the rate limit")
          .tag("api", api).register(meters).increment();
      throw PhantomException.resourceExhausted("rate limit exceeded; retry after " + retryAfterMs + " ms", retryAfterMs);
    }
    return caller;
  }

  /**
   * Takes one of the caller's sandbox slots, for a run or a session; give it back with
   * {@link #releaseSandbox}.
   *
   * @throws PhantomException RESOURCE_EXHAUSTED when the caller's key holds its maximum already
   */
  public void acquireSandbox(String caller) {
    int max = maxSandboxes.getOrDefault(caller, 0);
    int used = inUse.getOrDefault(caller, 0);
    if (max > 0 && used >= max) {
      throw PhantomException.resourceExhausted("key '" + caller + "' has " + used + " sandboxes, its maximum; "
          + "destroy one or wait for a run to end", 1_000);
    }
    inUse.merge(caller, 1, Integer::sum);
  }

  public void releaseSandbox(String caller) {
    inUse.computeIfPresent(caller, (name, used) -> used <= 1 ? null : used - 1);
  }

  private static Optional<String> presentedKey(MultiMap headers) {
    String authorization = headers.get("authorization");
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return Optional.of(authorization.substring(7).trim());
    }
    return Optional.ofNullable(headers.get("x-api-key")).map(String::trim);
  }
}
