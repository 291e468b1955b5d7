package dev.phantom.zygote.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PoolMemoryTest {

  static final long MIB = 1 << 20;

  static Stream<Arguments> ceilings() {
    return Stream.of(
        // available, share, slot, held by pool, expected
        Arguments.of(1000 * MIB, 0.25, 1 * MIB, Map.of(), 250),
        Arguments.of(1000 * MIB, 0.25, 10 * MIB, Map.of(), 25),
        // this pool's own slots would be given back: they count as available to it
        Arguments.of(900 * MIB, 0.25, 10 * MIB, Map.of("p", 100 * MIB), 25),
        // other pools' slots take from the budget
        Arguments.of(900 * MIB, 0.25, 10 * MIB, Map.of("other", 100 * MIB), 15),
        Arguments.of(100 * MIB, 0.25, 10 * MIB, Map.of("other", 100 * MIB), 0),
        Arguments.of(0L, 0.25, 1 * MIB, Map.of(), 0),
        Arguments.of(1000 * MIB, 0.0, 1 * MIB, Map.of(), 0));
  }

  @ParameterizedTest
  @MethodSource("ceilings")
  void ceilingIsTheShareOfMemoryOverOneSlot(long available, double share, long slot, Map<String, Long> held, int expected) {
    assertThat(PoolMemory.ceiling("p", available, share, slot, held)).isEqualTo(expected);
  }

  @ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({"8, 0.0, 8", "8, 10.0, 8", "8, 10.1, 4", "1, 50, 0", "0, 99, 0"})
  void poolsHalveAbovethePressureThreshold(int target, double pressure, int expected) {
    assertThat(PoolMemory.effectiveTarget(target, pressure, 10.0)).isEqualTo(expected);
  }
}
