package dev.phantom.store.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.store.core.ChunkStore;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.StoreException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** What every {@link ChunkStore} must do; each implementation (and each fake) extends this. */
public abstract class ChunkStoreContract {

  /** A mutable clock shared with the store under test. */
  protected final TestClock clock = TestClock.realNow();

  protected abstract ChunkStore store();

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void putThenGetReturnsTheSameBytesUnderTheirDigest() {
    byte[] data = new byte[300_000];
    new Random(7).nextBytes(data);
    ChunkStore.Put put = store().put(data, 0, data.length);
    assertThat(put.digest()).isEqualTo(Digest.of(data));
    assertThat(put.written()).isTrue();
    assertThat(store().get(put.digest())).isEqualTo(data);
    assertThat(store().contains(put.digest())).isTrue();
    assertThat(store().rawSize(put.digest())).isEqualTo(data.length);
  }

  @Test
  void aSecondPutOfTheSameBytesWritesNothing() {
    ChunkStore.Put first = store().put(bytes("hello"), 0, 5);
    ChunkStore.Put second = store().put(bytes("hello"), 0, 5);
    assertThat(second.digest()).isEqualTo(first.digest());
    assertThat(second.written()).isFalse();
    List<Digest> all = new ArrayList<>();
    store().forEach(s -> all.add(s.digest()));
    assertThat(all).containsExactly(first.digest());
  }

  @Test
  void aSliceIsStoredAsItself() {
    byte[] data = bytes("xxhelloyy");
    assertThat(store().put(data, 2, 5).digest()).isEqualTo(Digest.of(bytes("hello")));
  }

  @Test
  void missingObjectsAreNotFound() {
    Digest absent = Digest.of(bytes("absent"));
    assertThat(store().contains(absent)).isFalse();
    assertThat(store().touch(absent)).isFalse();
    assertThat(store().rawSize(absent)).isEqualTo(-1);
    assertThatThrownBy(() -> store().get(absent)).isInstanceOfSatisfying(StoreException.class,
        e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.NOT_FOUND));
  }

  @Test
  void deleteIfOlderSparesWhatWasRefreshedAfterTheCutoff() {
    Digest a = store().put(bytes("a"), 0, 1).digest();
    Digest b = store().put(bytes("b"), 0, 1).digest();
    clock.advance(Duration.ofHours(2));
    Instant cutoff = clock.instant().minusSeconds(60);
    assertThat(store().touch(b)).isTrue();
    assertThat(store().deleteIfOlder(a, cutoff)).isTrue();
    assertThat(store().deleteIfOlder(b, cutoff)).isFalse();
    assertThat(store().contains(a)).isFalse();
    assertThat(store().contains(b)).isTrue();
    assertThat(store().deleteIfOlder(a, cutoff)).isFalse();
  }

  @Test
  void rePuttingAnObjectRefreshesIt() {
    Digest a = store().put(bytes("a"), 0, 1).digest();
    clock.advance(Duration.ofHours(2));
    store().put(bytes("a"), 0, 1);
    assertThat(store().deleteIfOlder(a, clock.instant().minusSeconds(60))).isFalse();
  }

  @Test
  void concurrentPutsOfTheSameContentLeaveOneGoodObject() throws Exception {
    byte[] data = new byte[100_000];
    new Random(9).nextBytes(data);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<ChunkStore.Put>> puts = new ArrayList<>();
      for (int i = 0; i < 32; i++) {
        puts.add(pool.submit(() -> store().put(data, 0, data.length)));
      }
      for (Future<ChunkStore.Put> f : puts) {
        assertThat(f.get().digest()).isEqualTo(Digest.of(data));
      }
    } finally {
      pool.shutdownNow();
    }
    store().sync();
    assertThat(store().get(Digest.of(data))).isEqualTo(data);
    long[] count = {0};
    store().forEach(s -> count[0]++);
    assertThat(count[0]).isEqualTo(1);
  }
}
