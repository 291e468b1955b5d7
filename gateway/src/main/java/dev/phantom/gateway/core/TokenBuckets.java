package dev.phantom.gateway.core;

import java.util.HashMap;
import java.util.Map;

/**
 * One token bucket per caller: {@code perSecond} requests a second on average, bursts up to
 * {@code burst}. Time comes in as nanoseconds so tests can drive it. Not thread-safe: one event loop
 * owns it. Idle callers' buckets are forgotten once full again, so the map stays small.
 */
public final class TokenBuckets {

  private final double perSecond;
  private final double burst;
  private final Map<String, Bucket> buckets = new HashMap<>();
  private long lastSweepNanos;

  private static final class Bucket {
    double tokens;
    long updatedNanos;
  }

  /** @param perSecond 0 disables limiting */
  public TokenBuckets(double perSecond, double burst) {
    this.perSecond = perSecond;
    this.burst = Math.max(1, burst);
  }

  /** 0 when the request may go ahead (a token was taken), else how many ms until one is there. */
  public long acquire(String caller, long nowNanos) {
    if (perSecond <= 0) {
      return 0;
    }
    sweep(nowNanos);
    Bucket bucket = buckets.computeIfAbsent(caller, c -> {
      Bucket fresh = new Bucket();
      fresh.tokens = burst;
      fresh.updatedNanos = nowNanos;
      return fresh;
    });
    refill(bucket, nowNanos);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (long) Math.ceil((1 - bucket.tokens) / perSecond * 1000);
  }

  int tracked() {
    return buckets.size();
  }

  private void refill(Bucket bucket, long nowNanos) {
    double elapsedSeconds = Math.max(0, nowNanos - bucket.updatedNanos) / 1e9;
    bucket.tokens = Math.min(burst, bucket.tokens + elapsedSeconds * perSecond);
    bucket.updatedNanos = nowNanos;
  }

  private void sweep(long nowNanos) {
    if (nowNanos - lastSweepNanos < 60_000_000_000L) {
      return;
    }
    lastSweepNanos = nowNanos;
    buckets.values().removeIf(bucket -> {
      refill(bucket, nowNanos);
      return bucket.tokens >= burst;
    });
  }
}
