package dev.phantom.loadtest;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How busy the machine is with other work: sampled while the suite runs nothing, so that a document
 * measured on a shared machine says so by itself.
 */
final class Background {

  /** Above this share of all cores busy with other work, the document calls the machine shared and noisy. */
  static final double NOISY_BUSY_PERCENT = 10;

  private Background() {}

  /** CPU busy share over {@code seconds} (all cores, from /proc/stat) and the 1-minute load average. */
  static JsonObject sample(int seconds) throws InterruptedException {
    long[] a = cpu();
    Thread.sleep(seconds * 1000L);
    long[] b = cpu();
    double total = b[0] - a[0];
    double idle = b[1] - a[1];
    return new JsonObject().put("seconds", seconds)
        .put("busyPercent", total > 0 ? 100 * (total - idle) / total : null)
        .put("loadAverage1m", loadAverage());
  }

  /** Total and idle (idle + iowait) jiffies of all CPUs. */
  static long[] cpu() {
    try {
      return parseCpu(Files.readAllLines(Path.of("/proc/stat")).get(0));
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }

  static long[] parseCpu(String line) {
    String[] f = line.trim().split("\\s+");
    if (!f[0].equals("cpu")) {
      throw new IllegalArgumentException("not the cpu line of /proc/stat: " + line);
    }
    long total = 0;
    // user nice system idle iowait irq softirq steal; guest time is already inside user and nice.
    for (int i = 1; i < Math.min(f.length, 9); i++) {
      total += Long.parseLong(f[i]);
    }
    return new long[] {total, Long.parseLong(f[4]) + Long.parseLong(f[5])};
  }

  private static Double loadAverage() {
    try {
      return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
