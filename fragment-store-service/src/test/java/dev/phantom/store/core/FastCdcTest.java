package dev.phantom.store.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class FastCdcTest {

  static List<ChunkingParams> sizes() {
    return List.of(ChunkingParams.DEFAULTS, new ChunkingParams(2048, 8192, 32768), new ChunkingParams(64, 256, 1024),
        new ChunkingParams(512 * 1024, 1 << 20, 4 << 20));
  }

  static byte[] random(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static List<Integer> cuts(FastCdc cdc, byte[] data) {
    List<Integer> lengths = new ArrayList<>();
    for (int off = 0; off < data.length; ) {
      int n = cdc.cut(data, off, data.length - off);
      lengths.add(n);
      off += n;
    }
    return lengths;
  }

  /** Offsets where chunks end. */
  static Set<Integer> ends(List<Integer> lengths, int shift) {
    Set<Integer> ends = new HashSet<>();
    int pos = 0;
    for (int n : lengths) {
      pos += n;
      ends.add(pos + shift);
    }
    return ends;
  }

  @ParameterizedTest
  @MethodSource("sizes")
  void everyChunkIsWithinMinAndMaxAndTheyCoverTheInput(ChunkingParams p) {
    byte[] data = random(1, p.max() * 40 + 12345);
    List<Integer> lengths = cuts(new FastCdc(p), data);
    assertThat(lengths.stream().mapToLong(Integer::longValue).sum()).isEqualTo(data.length);
    for (int i = 0; i < lengths.size() - 1; i++) {
      assertThat(lengths.get(i)).isBetween(p.min() + 1, p.max());
    }
    assertThat(lengths.getLast()).isBetween(1, p.max());
  }

  @ParameterizedTest
  @MethodSource("sizes")
  void normalizedChunkingKeepsTheMeanNearTheAverage(ChunkingParams p) {
    byte[] data = random(2, p.avg() * 400);
    List<Integer> lengths = cuts(new FastCdc(p), data);
    double mean = (double) data.length / lengths.size();
    assertThat(mean).isBetween(p.avg() * 0.6, p.avg() * 1.5);
  }

  @Test
  void sameBytesCutTheSameWayEveryTime() {
    byte[] data = random(3, 3 << 20);
    assertThat(cuts(new FastCdc(ChunkingParams.DEFAULTS), data))
        .isEqualTo(cuts(new FastCdc(ChunkingParams.DEFAULTS), data.clone()));
    // Pinned: the gear table and masks are part of the format (docs/fragment-store.md).
    assertThat(FastCdc.GEAR[0]).isEqualTo(FastCdc.gearTable(FastCdc.GEAR_SEED)[0]);
    assertThat(Long.toHexString(FastCdc.GEAR[0])).isEqualTo(Long.toHexString(firstSplitMix(FastCdc.GEAR_SEED)));
  }

  private static long firstSplitMix(long seed) {
    long z = seed + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  @ParameterizedTest
  @MethodSource("sizes")
  void anInsertionMovesOnlyTheCutsNearIt(ChunkingParams p) {
    byte[] data = random(4, p.max() * 60);
    int at = data.length / 2;
    byte[] inserted = random(5, 100);
    byte[] edited = new byte[data.length + inserted.length];
    System.arraycopy(data, 0, edited, 0, at);
    System.arraycopy(inserted, 0, edited, at, inserted.length);
    System.arraycopy(data, at, edited, at + inserted.length, data.length - at);
    FastCdc cdc = new FastCdc(p);
    Set<Integer> before = ends(cuts(cdc, data), 0);
    List<Integer> afterLengths = cuts(cdc, edited);
    Set<Integer> after = new HashSet<>();
    for (int end : ends(afterLengths, 0)) {
      after.add(end > at ? end - inserted.length : end);
    }
    // Every cut well before or well after the edit is where it was.
    long far = before.stream().filter(e -> e < at - p.max() || e > at + 2L * p.max()).count();
    long kept = before.stream().filter(e -> e < at - p.max() || e > at + 2L * p.max()).filter(after::contains).count();
    assertThat(kept).isEqualTo(far);
    assertThat(far).isGreaterThan(20);
  }

  @Test
  void shortInputIsOneChunk() {
    FastCdc cdc = new FastCdc(ChunkingParams.DEFAULTS);
    assertThat(cdc.cut(new byte[10], 0, 10)).isEqualTo(10);
    assertThat(cdc.cut(new byte[0], 0, 0)).isZero();
    // Zeros never hash to a cut: a run of them is cut at max.
    assertThat(cuts(cdc, new byte[1 << 20])).containsOnly(ChunkingParams.DEFAULT_MAX);
  }

  @Test
  void badSizesAreRefused() {
    assertThatThrownBy(() -> new ChunkingParams(16, 64, 256)).hasMessageContaining("min < avg < max");
    assertThatThrownBy(() -> new ChunkingParams(1024, 3000, 9000)).hasMessageContaining("power of two");
    assertThatThrownBy(() -> new ChunkingParams(4096, 2048, 9000)).isInstanceOf(IllegalArgumentException.class);
  }
}
