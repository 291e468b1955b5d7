package dev.phantom.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The parsers the suite reads the host with: smaps_rollup, dd's summary, /proc/stat, pool reports. */
class MeasurementParsingTest {

  @Test
  void smapsRollupGivesRssAndPss() {
    String rollup = """
        55a4c1e4b000-7ffd4e5f2000 ---p 00000000 00:00 0                          [rollup]
        Rss:                1664 kB
        Pss:                 291 kB
        Pss_Dirty:           104 kB
        Pss_Anon:            104 kB
        Shared_Clean:       1412 kB
        """;
    assertThat(Pss.parseRollup(rollup)).isEqualTo(new Pss(1664, 291, 1));
    assertThat(Pss.parseRollup(rollup).plus(new Pss(10, 5, 2))).isEqualTo(new Pss(1674, 296, 3));
    assertThatThrownBy(() -> Pss.parseRollup("Rss: 12 kB\n")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aTreeIsTheProcessAndEveryDescendant() {
    Map<Long, List<Long>> children = Map.of(1L, List.of(2L, 3L), 2L, List.of(4L), 9L, List.of(10L));
    assertThat(Pss.tree(1, children)).containsExactlyInAnyOrder(1L, 2L, 3L, 4L);
    assertThat(Pss.tree(5, children)).containsExactly(5L);
  }

  @Test
  void aProcessThatIsGoneCostsNothing() {
    assertThat(Pss.of(Long.MAX_VALUE)).isEqualTo(Pss.ZERO);
    assertThat(Pss.of(ProcessHandle.current().pid()).pssKib()).isPositive();
  }

  @Test
  void ddRatesAreMibPerSecondInOrder() {
    String out = """
        48+0 records in
        48+0 records out
        50331648 bytes (50 MB, 48 MiB) copied, 0.5 s, 101 MB/s
        48+0 records in
        48+0 records out
        50331648 bytes (50 MB, 48 MiB) copied, 0.25 s, 201 MB/s
        """;
    double[] rates = HostRuns.ddRates(out);
    assertThat(rates).hasSize(2);
    assertThat(rates[0]).isCloseTo(96, within(1e-9));
    assertThat(rates[1]).isCloseTo(192, within(1e-9));
    assertThat(HostRuns.ddRates("1048576 bytes (1.0 MB, 1.0 MiB) copied, 1e-05 s, 105 GB/s")[0]).isCloseTo(1e5, within(1e-3));
    assertThat(HostRuns.ddRates("dd: error writing: No space left on device")).isEmpty();
  }

  @Test
  void medianOfOddAndEvenCounts() {
    assertThat(HostRuns.median(new double[] {5, 1, 3})).isEqualTo(3);
    assertThat(HostRuns.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
    assertThat(HostRuns.median(new double[0])).isNaN();
  }

  @Test
  void bareBwrapTakesExtraMountsBeforeTheCommand() {
    List<String> argv = HostRuns.bwrap(List.of("--bind", "/h", "/workspace"), List.of("true"));
    assertThat(argv.subList(argv.size() - 5, argv.size())).containsExactly("--bind", "/h", "/workspace", "--", "true");
    assertThat(argv).startsWith("bwrap", "--unshare-all");
  }

  @Test
  void procStatCountsIdleAndIowaitAsIdle() {
    long[] cpu = Background.parseCpu("cpu  100 5 50 800 20 1 2 3 7 0");
    assertThat(cpu).containsExactly(981, 820);
    assertThatThrownBy(() -> Background.parseCpu("cpu0 1 2 3 4 5")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void poolsAreReportedByAMetricOrAReadyField() {
    assertThat(Pools.inMetrics("# HELP phantom_runs_total x\nphantom_runs_total{status=\"ok\"} 3\n")).isFalse();
    assertThat(Pools.inMetrics("phantom_zygote_pool_idle{profile=\"minimal\"} 4\n")).isTrue();
    assertThat(Pools.inMetrics("phantom_pool_size 4\n")).isTrue();
    assertThat(Pools.inMetrics(null)).isFalse();
    assertThat(Pools.inReady("{\"ready\":true,\"nodes\":[{\"node\":\"a\",\"capacity\":96}]}")).isFalse();
    assertThat(Pools.inReady("{\"ready\":true,\"nodes\":[{\"node\":\"a\",\"poolIdle\":4}]}")).isTrue();
  }
}
