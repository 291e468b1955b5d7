package dev.phantom.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokenBucketsTest {

  private static final long SECOND = 1_000_000_000L;

  @Test
  void aBurstPassesThenTheRateHolds() {
    TokenBuckets buckets = new TokenBuckets(2, 3);
    assertThat(buckets.acquire("a", 0)).isZero();
    assertThat(buckets.acquire("a", 0)).isZero();
    assertThat(buckets.acquire("a", 0)).isZero();
    assertThat(buckets.acquire("a", 0)).isEqualTo(500);
    assertThat(buckets.acquire("a", SECOND / 2)).isZero();
    assertThat(buckets.acquire("a", SECOND / 2)).isEqualTo(500);
  }

  @Test
  void callersHaveTheirOwnBuckets() {
    TokenBuckets buckets = new TokenBuckets(1, 1);
    assertThat(buckets.acquire("a", 0)).isZero();
    assertThat(buckets.acquire("a", 0)).isPositive();
    assertThat(buckets.acquire("b", 0)).isZero();
  }

  @Test
  void zeroRateDisablesLimiting() {
    TokenBuckets buckets = new TokenBuckets(0, 0);
    for (int i = 0; i < 1000; i++) {
      assertThat(buckets.acquire("a", 0)).isZero();
    }
    assertThat(buckets.tracked()).isZero();
  }

  @Test
  void idleFullBucketsAreForgotten() {
    TokenBuckets buckets = new TokenBuckets(10, 10);
    buckets.acquire("a", 0);
    buckets.acquire("b", 0);
    buckets.acquire("c", 120 * SECOND);
    assertThat(buckets.tracked()).isEqualTo(1);
  }
}
