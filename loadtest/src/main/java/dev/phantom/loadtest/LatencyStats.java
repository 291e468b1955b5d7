package dev.phantom.loadtest;

import org.HdrHistogram.Histogram;

/** Latencies of one series in microseconds, and the line that reports them. */
final class LatencyStats {

  private static final long MAX_MICROS = 600_000_000L;

  private final String name;
  private final Histogram histogram = new Histogram(MAX_MICROS, 3);
  private int errors;

  LatencyStats(String name) {
    this.name = name;
  }

  void record(long micros) {
    histogram.recordValue(Math.min(Math.max(micros, 1), MAX_MICROS));
  }

  void error() {
    errors++;
  }

  long count() {
    return histogram.getTotalCount();
  }

  int errors() {
    return errors;
  }

  double medianMillis() {
    return histogram.getValueAtPercentile(50) / 1000.0;
  }

  static String header() {
    return String.format("%-28s %8s %8s %9s %9s %9s %9s %9s", "series", "ok", "errors", "p50 ms", "p90 ms",
        "p99 ms", "max ms", "mean ms");
  }

  String line() {
    return String.format("%-28s %8d %8d %9.2f %9.2f %9.2f %9.2f %9.2f", name, count(), errors,
        histogram.getValueAtPercentile(50) / 1000.0, histogram.getValueAtPercentile(90) / 1000.0,
        histogram.getValueAtPercentile(99) / 1000.0, histogram.getMaxValue() / 1000.0,
        histogram.getMean() / 1000.0);
  }
}
