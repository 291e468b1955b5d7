package dev.phantom.loadtest;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/** Latencies of one series in microseconds, its errors by status, and the lines that report them. */
final class LatencyStats {

  static final long MAX_MICROS = 600_000_000L;
  static final double[] PERCENTILES = {50, 90, 99, 99.9};

  private final String name;
  private final Histogram histogram = new Histogram(MAX_MICROS, 3);
  private final Map<String, Long> errors = new TreeMap<>();

  LatencyStats(String name) {
    this.name = name;
  }

  String name() {
    return name;
  }

  synchronized void record(long micros) {
    histogram.recordValue(Math.min(Math.max(micros, 1), MAX_MICROS));
  }

  synchronized void error(String status) {
    errors.merge(status, 1L, Long::sum);
  }

  synchronized long count() {
    return histogram.getTotalCount();
  }

  synchronized long errors() {
    return errors.values().stream().mapToLong(Long::longValue).sum();
  }

  synchronized Map<String, Long> errorsByStatus() {
    return new TreeMap<>(errors);
  }

  synchronized double percentileMillis(double percentile) {
    return histogram.getTotalCount() == 0 ? Double.NaN : histogram.getValueAtPercentile(percentile) / 1000.0;
  }

  synchronized double maxMillis() {
    return histogram.getTotalCount() == 0 ? Double.NaN : histogram.getMaxValue() / 1000.0;
  }

  synchronized double meanMillis() {
    return histogram.getTotalCount() == 0 ? Double.NaN : histogram.getMean() / 1000.0;
  }

  double medianMillis() {
    return percentileMillis(50);
  }

  static String header() {
    return String.format("%-30s %8s %7s %9s %9s %9s %9s %9s %9s %9s", "series", "ok", "errors", "req/s", "p50 ms",
        "p90 ms", "p99 ms", "p99.9 ms", "max ms", "mean ms");
  }

  String line(double seconds) {
    return String.format("%-30s %8d %7d %9s %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f", name, count(), errors(),
        seconds > 0 ? String.format(java.util.Locale.ROOT, "%.1f", count() / seconds) : "-", percentileMillis(50), percentileMillis(90),
        percentileMillis(99), percentileMillis(99.9), maxMillis(), meanMillis());
  }

  /** Summary, errors by status, and the percentile distribution (for the report's plot). */
  synchronized JsonObject json(double seconds) {
    JsonObject latency = new JsonObject();
    for (double p : PERCENTILES) {
      latency.put("p" + (p == Math.rint(p) ? String.valueOf((int) p) : String.valueOf(p)), percentileMillis(p));
    }
    latency.put("max", maxMillis()).put("mean", meanMillis());
    JsonArray distribution = new JsonArray();
    if (histogram.getTotalCount() > 0) {
      for (HistogramIterationValue v : histogram.percentiles(5)) {
        distribution.add(new JsonArray().add(v.getPercentileLevelIteratedTo())
            .add(histogram.highestEquivalentValue(v.getValueIteratedTo()) / 1000.0));
        if (v.getPercentileLevelIteratedTo() >= 100.0) {
          break;
        }
      }
    }
    return new JsonObject().put("name", name).put("ok", histogram.getTotalCount()).put("errors", errors())
        .put("errorsByStatus", errorJson())
        .put("throughputPerSecond", seconds > 0 ? histogram.getTotalCount() / seconds : null)
        .put("latencyMillis", nanToNull(latency)).put("percentileDistribution", distribution);
  }

  private JsonObject errorJson() {
    JsonObject e = new JsonObject();
    errors.forEach(e::put);
    return e;
  }

  private static JsonObject nanToNull(JsonObject o) {
    for (String key : o.fieldNames()) {
      Object v = o.getValue(key);
      if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
        o.putNull(key);
      }
    }
    return o;
  }
}
