package dev.phantom.loadtest;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;

/** Measured requests per second of the run (by completion time): count, errors, p50, p99, max. */
final class Timeline {

  private final long startNanos;
  private final List<Histogram> seconds = new ArrayList<>();
  private final List<long[]> errors = new ArrayList<>();

  Timeline(long startNanos) {
    this.startNanos = startNanos;
  }

  private int slot(long nowNanos) {
    int slot = (int) Math.max(0, (nowNanos - startNanos) / 1_000_000_000L);
    while (seconds.size() <= slot) {
      seconds.add(new Histogram(LatencyStats.MAX_MICROS, 2));
      errors.add(new long[1]);
    }
    return slot;
  }

  synchronized void record(long nowNanos, long micros) {
    seconds.get(slot(nowNanos)).recordValue(Math.min(Math.max(micros, 1), LatencyStats.MAX_MICROS));
  }

  synchronized void error(long nowNanos) {
    errors.get(slot(nowNanos))[0]++;
  }

  synchronized JsonArray json() {
    JsonArray out = new JsonArray();
    for (int i = 0; i < seconds.size(); i++) {
      Histogram h = seconds.get(i);
      JsonObject s = new JsonObject().put("second", i).put("ok", h.getTotalCount()).put("errors", errors.get(i)[0]);
      if (h.getTotalCount() > 0) {
        s.put("p50", h.getValueAtPercentile(50) / 1000.0).put("p99", h.getValueAtPercentile(99) / 1000.0)
            .put("max", h.getMaxValue() / 1000.0);
      }
      out.add(s);
    }
    return out;
  }
}
