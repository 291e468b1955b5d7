package dev.phantom.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The document and README block are a function of the results: every figure in them comes from the JSON. */
class BenchReportTest {

  private static JsonObject stats(double p50, double p99) {
    return new JsonObject().put("p50", p50).put("p99", p99).put("mean", p50).put("ok", 10L).put("errors", 0L).put("perSecond", 1000 / p50);
  }

  private static JsonObject results(boolean pools, double busyBefore) {
    JsonObject compare = new JsonObject().put("phantom", stats(30, 45)).put("bwrap", stats(10, 20)).put("host", stats(2, 4));
    JsonObject spawn = new JsonObject().put("rounds", 200).put("poolsReported", pools);
    if (pools) {
      spawn.put("warm", compare).put("coldUnavailable", "no --cold-config");
    } else {
      spawn.put("cold", compare).put("warmUnavailable", "pools not available in this build");
    }
    return new JsonObject().put("generatedAt", "2026-11-26T12:00:00Z").put("command", "loadtest/bench-suite.sh")
        .put("suiteSeconds", 600.0)
        .put("machine", new JsonObject().put("cores", 2).put("memoryBytes", 4L << 30).put("kernel", "6.1.0").put("cgroupVersion", 2))
        .put("product", new JsonObject().put("version", "0.1.0").put("gitCommit", "abc1234").put("gitDirty", false))
        .put("background", new JsonObject().put("before", new JsonObject().put("busyPercent", busyBefore).put("loadAverage1m", 0.5))
            .put("after", new JsonObject().put("busyPercent", 1.0).put("loadAverage1m", 0.4)))
        .put("spawn", spawn)
        .put("throughput", new JsonArray()
            .add(new JsonObject().put("concurrency", 1).put("phantom", stats(25, 40)).put("bwrap", 90.0).put("host", 400.0))
            .add(new JsonObject().put("concurrency", 2).put("phantom", stats(20, 40)).put("bwrap", 150.0).put("host", 700.0)))
        .put("idleMemory", new JsonArray().add(new JsonObject().put("sandboxes", 100).put("createSeconds", 4.0)
            .put("phantomSandboxPssKib", 400.0).put("phantomProcessesPerSandbox", 3.0).put("jvmSharePssKib", 112.0)
            .put("bwrapPssKib", 256.0).put("bwrapProcessesPerSandbox", 3.0).put("hostPssKib", 128.0)))
        .put("io", new JsonArray().add(new JsonObject().put("where", "/workspace tmpfs").put("hostWhere", "/dev/shm")
                .put("phantom", new JsonObject().put("writeMibPerSecond", 2000.0).put("readMibPerSecond", 4000.0))
                .put("bwrap", new JsonObject().put("writeMibPerSecond", 2500.0).put("readMibPerSecond", 5000.0))
                .put("host", new JsonObject().put("writeMibPerSecond", 2500.0).put("readMibPerSecond", 8000.0)))
            .add(new JsonObject().put("note", "dd bs=1M count=48")))
        .put("controlPlane", new JsonObject()
            .put("embedded", new JsonArray().add(new JsonObject().put("roles", "embedded").put("rssKib", 204800L).put("pssKib", 102400L)))
            .put("idleJvm", new JsonObject().put("rssKib", 40960L).put("pssKib", 20480L)))
        .put("scenarios", new JsonArray()
            .add(new JsonObject().put("deployment", "embedded").put("scenario", "run-true").put("result", stats(40, 50)))
            .add(new JsonObject().put("deployment", "clustered").put("scenario", "run-true").put("result", stats(60, 90))));
  }

  @Test
  void everyFigureIsNextToItsBaselineAsARatio() {
    String doc = BenchReport.document(results(false, 2));
    assertThat(doc).contains("| cold (no pool) | 30.0 ms | 45.0 ms | 10.0 ms | 20.0 ms | 2.00 ms | 4.00 ms | 3.00× | 15.0× |");
    assertThat(doc).contains("| warm (pool) | pools not available in this build |");
    assertThat(doc).contains("| 2 | 50.0 | 0 | 20.0 ms | 40.0 ms | 150 | 700 | 0.333× | 0.071× |");
    // 400 + 112 KiB per sandbox against 256: 0.500 MiB, 2.00x.
    assertThat(doc).contains("| 100 | 0.391 MiB | 3.00 | 0.109 MiB | 0.500 MiB | 0.250 MiB | 3.00 | 0.125 MiB | 2.00× | 4.00 s |");
    assertThat(doc).contains("| /workspace tmpfs | write | 2000 | 2500 | 2500 | /dev/shm | 0.800× | 0.800× |");
    assertThat(doc).contains("| embedded | embedded | 200 MiB | 100 MiB | 5.00× |");
    assertThat(doc).contains("| run-true | 40.0 ms | 50.0 ms | 25.0 | 0 | 60.0 ms | 90.0 ms | 16.7 | 0 | 1.50× |");
    assertThat(doc).contains("| session-churn | not run |  |  |  | not run |  |  |  |  |");
    assertThat(doc).contains("| cores | 2 |").contains("| cgroup | v2 |").contains("commit abc1234 |");
  }

  @Test
  void aSharedMachineIsSaidToBeNoisy() {
    assertThat(BenchReport.document(results(false, 2))).contains("otherwise idle").doesNotContain("was shared");
    assertThat(BenchReport.document(results(false, 40))).contains("**The machine was shared**");
    assertThat(BenchReport.headline(results(false, 40), "docs/benchmarks.md")).contains("a shared machine (noisy)");
  }

  @Test
  void withPoolsTheWarmRowHasFiguresAndTheColdRowSaysWhyNot() {
    String doc = BenchReport.document(results(true, 2));
    assertThat(doc).contains("| warm (pool) | 30.0 ms |").contains("| cold (no pool) | no --cold-config |");
  }

  @Test
  void theHeadlineQuotesTheDocument() {
    String headline = BenchReport.headline(results(false, 2), "docs/benchmarks.md");
    assertThat(headline).startsWith("| measure | phantom | baseline (same run) | ratio |")
        .contains("| `Run` of `true`, p50 (no pool) | 30.0 ms | bare bwrap 10.0 ms, host exec 2.00 ms | 3.00× bare bwrap |")
        .contains("| `Run` of `true` a second, best of 1 to 2 clients | 50.0/s (2 clients) | bare bwrap 150/s | 0.333× bare bwrap |")
        .contains("[docs/benchmarks.md](docs/benchmarks.md)");
    assertThat(BenchReport.document(results(false, 2))).contains(BenchReport.headlineTable(results(false, 2)));
  }

  @Test
  void theReadmeBlockIsReplacedBetweenItsMarkersOnly() {
    String readme = "# X\n\n## Performance\n<!-- bench:begin -->\nold table\n<!-- bench:end -->\nmore text\n";
    String once = BenchReport.replaceBlock(readme, "new table\n");
    assertThat(once).isEqualTo("# X\n\n## Performance\n<!-- bench:begin -->\nnew table\n<!-- bench:end -->\nmore text\n");
    assertThat(BenchReport.replaceBlock(once, "new table\n")).isEqualTo(once);
    assertThatThrownBy(() -> BenchReport.replaceBlock("no markers", "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> BenchReport.replaceBlock(readme + readme, "x")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void numbersHaveThreeSignificantFigures() {
    assertThat(BenchReport.fmt(0.012345)).isEqualTo("0.012");
    assertThat(BenchReport.fmt(1.2345)).isEqualTo("1.23");
    assertThat(BenchReport.fmt(12.345)).isEqualTo("12.3");
    assertThat(BenchReport.fmt(1234.5)).isEqualTo("1235");
    assertThat(BenchReport.fmt(Double.NaN)).isEqualTo("n/a");
    assertThat(BenchReport.ratio(1, 0)).isEqualTo("n/a");
  }
}
