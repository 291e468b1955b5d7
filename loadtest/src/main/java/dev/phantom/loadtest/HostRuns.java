package dev.phantom.loadtest;

import dev.phantom.support.process.DirectSpawn;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The baselines without the service: bare bubblewrap with the minimal profile's mounts, and the host. */
final class HostRuns {

  private HostRuns() {}

  /** Bare bubblewrap with the same namespaces and mounts as the minimal profile, plus extra mounts, then the command. */
  static List<String> bwrap(List<String> extraMounts, List<String> command) {
    List<String> all = new ArrayList<>(LoadTest.BARE_BWRAP.subList(0, LoadTest.BARE_BWRAP.size() - 1));
    all.addAll(extraMounts);
    all.add("--");
    all.addAll(command);
    return all;
  }

  /** Runs the command {@code count} times from {@code concurrency} threads; completed runs a second. */
  static double throughput(List<String> command, int concurrency, int count) throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    long start = System.nanoTime();
    for (int c = 0; c < concurrency; c++) {
      threads.add(Thread.ofPlatform().start(() -> {
        while (next.getAndIncrement() < count) {
          if (run(command) != 0) {
            failed.incrementAndGet();
          }
        }
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    if (failed.get() > 0) {
      throw new IllegalStateException(failed.get() + " of " + count + " runs of " + command + " failed");
    }
    return count / seconds;
  }

  /** Runs {@code command} as a lean caller would (posix_spawnp, not ProcessBuilder); its exit code, 127 if it cannot start. */
  static int run(List<String> command) {
    try {
      return DirectSpawn.run(command, null);
    } catch (IllegalStateException e) {
      return 127;
    }
  }

  /** What a command prints (standard output and error together), failing on a non-zero exit. */
  static String output(List<String> command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("LC_ALL", "C");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException(command.get(0) + " failed: " + out.strip());
    }
    return out;
  }

  /**
   * Starts {@code n} copies of the command idling on a standard input that stays open, measures the
   * PSS of every process they consist of once they have all started, then ends them.
   */
  static Pss idle(List<String> command, int n) throws IOException, InterruptedException {
    List<Process> processes = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        processes.add(new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.DISCARD).start());
      }
      // bubblewrap forks its pid-1 and then the command: wait until every tree has stopped growing.
      int expected = -1;
      for (int settled = 0, i = 0; settled < 3 && i < 100; i++) {
        Thread.sleep(200);
        Map<Long, List<Long>> children = Pss.children();
        int now = processes.stream().mapToInt(p -> Pss.tree(p.pid(), children).size()).sum();
        settled = now == expected ? settled + 1 : 0;
        expected = now;
      }
      Pss total = Pss.ZERO;
      Map<Long, List<Long>> children = Pss.children();
      for (Process p : processes) {
        if (!p.isAlive()) {
          throw new IOException(command + " exited with " + p.exitValue() + " instead of idling");
        }
        total = total.plus(Pss.sum(Pss.tree(p.pid(), children)));
      }
      return total;
    } finally {
      for (Process p : processes) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
      }
      for (Process p : processes) {
        p.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** The dd script of the I/O benchmark: write {@code mib} MiB (flushed) to DIR/bench.bin, read it back, remove it. */
  static String ddScript(String dir, int mib) {
    String file = dir + "/phantom-bench.bin";
    return "dd if=/dev/zero of=" + file + " bs=1M count=" + mib + " conv=fsync 2>&1 && dd if=" + file
        + " of=/dev/null bs=1M 2>&1; rm -f " + file;
  }

  private static final Pattern COPIED = Pattern.compile("(\\d+) bytes .*copied, ([0-9.]+(?:e-?\\d+)?) s");

  /** MiB a second of each "N bytes ... copied, S s" line dd printed, in order. */
  static double[] ddRates(String output) {
    Matcher m = COPIED.matcher(output);
    List<Double> rates = new ArrayList<>();
    while (m.find()) {
      double seconds = Math.max(Double.parseDouble(m.group(2)), 1e-6);
      rates.add(Long.parseLong(m.group(1)) / 1048576.0 / seconds);
    }
    return rates.stream().mapToDouble(Double::doubleValue).toArray();
  }

  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
