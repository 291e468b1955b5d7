package dev.phantom.loadtest;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Load generator for the public gRPC API: open loop (a constant arrival rate, latency measured from
 * each request's intended send time, so queueing is never hidden by a slow reply delaying the next
 * send) or closed loop (N clients back to back), over weighted scenarios, with baselines measured in
 * the same run, a JSON result and a self-contained HTML report.
 */
@Command(name = "phantom-loadtest", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Drives a Phantom Fragment gateway and reports latency percentiles, throughput and errors.",
    footer = {"", "Scenarios: run-true, python-hello, session-churn, exec-warm, files.",
        "Exit: 0 all measured requests succeeded, 1 some failed, 2 bad input or unreachable gateway."})
public final class LoadTest implements java.util.concurrent.Callable<Integer> {

  /** Bare bubblewrap with the same namespaces and mounts as the minimal profile, without the service. */
  static final List<String> BARE_BWRAP = List.of("bwrap", "--unshare-all", "--die-with-parent", "--new-session",
      "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
      "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin",
      "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache", "--proc", "/proc", "--dev", "/dev",
      "--tmpfs", "/tmp", "--");

  @Option(names = "--gateway", paramLabel = "HOST:PORT", defaultValue = "${env:PHANTOM_GATEWAY}",
      description = "The gateway's gRPC address (default: $PHANTOM_GATEWAY).")
  String gateway;

  @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:PHANTOM_API_KEY}",
      description = "Sent as 'authorization: Bearer KEY' (default: $PHANTOM_API_KEY).")
  String apiKey;

  @Option(names = "--scenario", paramLabel = "NAME", description = "One scenario (same as --mix NAME=1).")
  String scenario;

  @Option(names = "--mix", paramLabel = "NAME=W,...", description = "Weighted scenarios, e.g. run-true=8,exec-warm=2.")
  String mix;

  @Option(names = "--rate", paramLabel = "N/s", description = "Open loop: start N requests a second on schedule (also N/m).")
  String rate;

  @Option(names = "--concurrency", paramLabel = "N", description = "Closed loop: N clients back to back (default 1 when no --rate).")
  Integer concurrency;

  @Option(names = "--duration", paramLabel = "TIME", description = "Measured time, e.g. 30s, 2m (a bare number is seconds).")
  String duration;

  @Option(names = "--requests", paramLabel = "N", description = "Measured requests (default 100 when no --duration).")
  Long requests;

  @Option(names = "--warmup", paramLabel = "N|TIME", defaultValue = "20",
      description = "Unmeasured start: a request count (20) or a time (5s) (default: ${DEFAULT-VALUE}).")
  String warmup;

  @Option(names = "--profile", defaultValue = "minimal", description = "Profile of run-true and sessions (default: ${DEFAULT-VALUE}).")
  String profile;

  @Option(names = "--file-size", paramLabel = "BYTES", defaultValue = "64k",
      description = "Size of the files scenario's file: 4096, 64k, 1m (default: ${DEFAULT-VALUE}).")
  String fileSize;

  @Option(names = "--sessions", paramLabel = "N", description = "Warm sessions for exec-warm and files (default: concurrency, at most 16).")
  Integer sessions;

  @Option(names = "--channels", paramLabel = "N", defaultValue = "1", description = "gRPC connections, used in turn (default: ${DEFAULT-VALUE}).")
  int channels;

  @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "10000",
      description = "Open loop: beyond this many outstanding requests a send is counted as a CLIENT_OVERLOAD error (default: ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Option(names = "--timeout", paramLabel = "TIME", defaultValue = "120s", description = "Per-request client timeout (default: ${DEFAULT-VALUE}).")
  String timeout;

  @Option(names = "--compare", description = "After the load, measure bare bwrap, host exec (and docker/podman when present) alternating with phantom.")
  boolean compare;

  @Option(names = "--compare-requests", paramLabel = "N", defaultValue = "50", description = "Measured rounds of --compare (default: ${DEFAULT-VALUE}).")
  int compareRequests;

  @Option(names = "--compare-warmup", paramLabel = "N", defaultValue = "0", description = "Calls of each phantom series "
      + "alone, 10 ms apart, before --compare's rounds, so that the gateway's and this client's hot paths are "
      + "compiled (default: ${DEFAULT-VALUE}).")
  int compareWarmup;

  @Option(names = "--compare-settle", paramLabel = "TIME", defaultValue = "25ms", description = "Pause after each "
      + "call of --compare's rounds, not timed, so that what a call leaves running (a warm pool's refill, a "
      + "sandbox's teardown and cleanup) is not measured as part of the next series (default: ${DEFAULT-VALUE}).")
  String compareSettle;

  @Option(names = "--container-image", defaultValue = "debian:stable-slim",
      description = "Image of the docker/podman baseline, used only if already present (default: ${DEFAULT-VALUE}).")
  String containerImage;

  @Option(names = "--out", paramLabel = "FILE", description = "Write the JSON result here.")
  Path out;

  @Option(names = "--html", paramLabel = "FILE", description = "Write the HTML report here.")
  Path html;

  @Option(names = "--quiet", description = "No live progress line.")
  boolean quiet;

  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicBoolean interrupted = new AtomicBoolean();
  private final CountDownLatch finished = new CountDownLatch(1);
  private PrintStream err = System.err;

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /** Runs the tool without exiting the JVM; returns the exit code. */
  public static int execute(String... args) {
    // The launcher runs it as "phantom loadtest"; run from its jar it is phantom-loadtest.
    String name = System.getProperty("phantom.command", "phantom-loadtest");
    CommandLine cli = new CommandLine(new LoadTest()).setCommandName(name);
    cli.setParameterExceptionHandler((e, a) -> {
      System.err.println(name + ": " + e.getMessage() + " (see --help)");
      return 2;
    });
    cli.setExecutionExceptionHandler((e, c, r) -> {
      System.err.println(name + ": " + (e instanceof BadInput ? e.getMessage() : e.toString()));
      return 2;
    });
    return cli.execute(args);
  }

  /** A problem with the input or the environment, reported as one line. */
  static final class BadInput extends RuntimeException {
    BadInput(String message) {
      super(message, null, false, false);
    }
  }

  @Override
  public Integer call() throws Exception {
    Map<String, Integer> weights;
    try {
      weights = Scenarios.parseMix(mix != null ? mix : scenario != null ? scenario : "run-true");
    } catch (IllegalArgumentException e) {
      throw new BadInput(e.getMessage());
    }
    if (mix != null && scenario != null) {
      throw new BadInput("give --scenario or --mix, not both");
    }
    if (rate != null && concurrency != null) {
      throw new BadInput("give --rate (open loop) or --concurrency (closed loop), not both");
    }
    double perSecond = rate == null ? 0 : parseRate(rate);
    int clients = concurrency == null ? 1 : concurrency;
    if (clients <= 0 || clients > 100_000) {
      throw new BadInput("--concurrency must be between 1 and 100000, got " + clients);
    }
    long durationNanos = duration == null ? 0 : parseTime("--duration", duration, true);
    if (requests != null && requests <= 0) {
      throw new BadInput("--requests must be > 0, got " + requests);
    }
    long measuredRequests = requests != null ? requests : duration == null ? 100 : Long.MAX_VALUE;
    long warmupRequests = 0;
    long warmupNanos = 0;
    if (warmup.matches("\\d+")) {
      warmupRequests = Long.parseLong(warmup);
    } else {
      warmupNanos = parseTime("--warmup", warmup, false);
    }
    long timeoutNanos = parseTime("--timeout", timeout, true);
    int bytes = parseSize(fileSize);
    if (channels <= 0 || maxInFlight <= 0 || compareRequests <= 0) {
      throw new BadInput("--channels, --max-in-flight and --compare-requests must be > 0");
    }
    if (compareWarmup < 0) {
      throw new BadInput("--compare-warmup must be >= 0");
    }
    long settleNanos = parseTime("--compare-settle", compareSettle, false);
    if (gateway == null || gateway.isBlank()) {
      throw new BadInput("no gateway: give --gateway HOST:PORT or set PHANTOM_GATEWAY");
    }
    SocketAddress address = address(gateway);

    Vertx vertx = Vertx.vertx();
    List<Api> apis = new ArrayList<>();
    AtomicInteger turn = new AtomicInteger();
    Supplier<Api> channel = () -> apis.get(Math.floorMod(turn.getAndIncrement(), apis.size()));
    Scenarios scenarios = null;
    Thread hook = new Thread(() -> {
      interrupted.set(true);
      stop.set(true);
      try {
        finished.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException ignored) {
        // exiting anyway
      }
    }, "phantom-loadtest-interrupt");
    try {
      Runtime.getRuntime().addShutdownHook(hook);
    } catch (IllegalStateException e) {
      // Run from the bench suite, which is being stopped.
      throw new BadInput("interrupted: the JVM is shutting down");
    }
    try {
      for (int i = 0; i < channels; i++) {
        apis.add(new Api(vertx, address, apiKey, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)));
      }
      probe(apis.get(0));
      JsonObject config = new JsonObject().put("gateway", gateway).put("mode", perSecond > 0 ? "open" : "closed")
          .put("ratePerSecond", perSecond > 0 ? perSecond : null).put("concurrency", perSecond > 0 ? null : clients)
          .put("mix", weights.toString().replaceAll("[{} ]", "")).put("profile", profile)
          .put("durationSeconds", durationNanos > 0 ? durationNanos / 1e9 : null)
          .put("requests", measuredRequests == Long.MAX_VALUE ? null : measuredRequests)
          .put("warmup", warmup).put("fileSizeBytes", bytes).put("channels", channels).put("apiKey", apiKey != null && !apiKey.isEmpty());
      int sessionCount = sessions != null ? sessions : Math.min(16, Math.max(perSecond > 0 ? 4 : clients, 1));
      scenarios = new Scenarios(channel, profile, bytes, sessionCount);
      if (Scenarios.needsSessions(weights)) {
        err.printf("creating %d warm session(s)...%n", sessionCount);
        try {
          scenarios.setUp();
        } catch (ExecutionException e) {
          throw new BadInput("could not create the warm sessions: " + e.getCause().getMessage());
        }
      }
      Run run = new Run(weights, scenarios, perSecond, clients, measuredRequests, durationNanos, warmupRequests,
          warmupNanos, timeoutNanos);
      String startedAt = Instant.now().toString();
      run.execute();
      JsonObject compareJson = null;
      List<LatencyStats> compareStats = List.of();
      if (compare && !stop.get()) {
        err.printf("measuring baselines: %d alternating rounds...%n", compareRequests);
        Baselines baselines = new Baselines(channel, profile, weights.getOrDefault("python-hello", 0) > 0, containerImage);
        compareJson = baselines.run(compareWarmup, Math.min(10, compareRequests), compareRequests,
            Duration.ofNanos(settleNanos), stop::get);
        compareStats = baselines.stats();
        baselines.skipped().forEach((k, v) -> err.printf("%s baseline skipped: %s%n", k, v));
      }
      JsonObject result = run.json().put("startedAt", startedAt).put("config", config)
          .put("machine", Machine.describe()).put("product", Machine.product())
          .put("interrupted", interrupted.get()).put("partial", interrupted.get());
      if (compareJson != null) {
        result.put("compare", compareJson);
      }
      print(run, compareStats, compareJson);
      write(result);
      return run.overall.errors() == 0 && run.overall.count() > 0 ? 0 : 1;
    } finally {
      if (scenarios != null) {
        // Interrupted, the shutdown hook waits for this: stay well inside its 20 s.
        scenarios.tearDown(interrupted.get() ? 3_000 : 30_000);
      }
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // exiting anyway
      }
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException ignored) {
        // already shutting down
      }
    }
  }

  /** One call first: an unreachable gateway or a refused key is one clear line, not a run of errors. */
  private static void probe(Api api) {
    try {
      api.listProfiles().toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      String status = Api.statusOf(e.getCause());
      if (status.equals("UNAUTHENTICATED") || status.equals("PERMISSION_DENIED")) {
        throw new BadInput("the gateway refused the API key (" + e.getCause().getMessage() + ")");
      }
      throw new BadInput("cannot reach the gateway: " + e.getCause().getMessage());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new BadInput("cannot reach the gateway: no answer in 15 s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BadInput("interrupted");
    }
  }

  /** The load phase and everything it measured. */
  private final class Run {
    final Map<String, Integer> weights;
    final Scenarios scenarios;
    final double perSecond;
    final int clients;
    final long measuredRequests;
    final long durationNanos;
    final long warmupRequests;
    final long warmupNanos;
    final long timeoutNanos;
    final String[] names;
    final int[] cumulative;
    final LatencyStats overall = new LatencyStats("all");
    final Map<String, LatencyStats> byScenario = new LinkedHashMap<>();
    final AtomicLong issued = new AtomicLong();
    final AtomicLong measuredIssued = new AtomicLong();
    final AtomicInteger inFlight = new AtomicInteger();
    volatile long measureStart = -1;
    volatile long lastCompletion = -1;
    volatile Timeline timeline;

    Run(Map<String, Integer> weights, Scenarios scenarios, double perSecond, int clients, long measuredRequests,
        long durationNanos, long warmupRequests, long warmupNanos, long timeoutNanos) {
      this.weights = weights;
      this.scenarios = scenarios;
      this.perSecond = perSecond;
      this.clients = clients;
      this.measuredRequests = measuredRequests;
      this.durationNanos = durationNanos;
      this.warmupRequests = warmupRequests;
      this.warmupNanos = warmupNanos;
      this.timeoutNanos = timeoutNanos;
      List<String> n = new ArrayList<>();
      List<Integer> c = new ArrayList<>();
      int sum = 0;
      for (Map.Entry<String, Integer> e : weights.entrySet()) {
        if (e.getValue() > 0) {
          sum += e.getValue();
          n.add(e.getKey());
          c.add(sum);
          byScenario.put(e.getKey(), new LatencyStats(e.getKey()));
        }
      }
      names = n.toArray(String[]::new);
      cumulative = c.stream().mapToInt(Integer::intValue).toArray();
    }

    String pick() {
      int r = ThreadLocalRandom.current().nextInt(cumulative[cumulative.length - 1]);
      for (int i = 0; i < cumulative.length; i++) {
        if (r < cumulative[i]) {
          return names[i];
        }
      }
      return names[names.length - 1];
    }

    /** Whether request number {@code index}, due at {@code due}, is measured; null when the run is over. */
    Boolean admit(long index, long due, long t0) {
      if (stop.get()) {
        return null;
      }
      boolean measured = warmupNanos > 0 ? due - t0 >= warmupNanos : index >= warmupRequests;
      if (!measured) {
        return false;
      }
      synchronized (this) {
        if (measureStart < 0) {
          measureStart = due;
          timeline = new Timeline(due);
        }
      }
      if (durationNanos > 0 && due - measureStart >= durationNanos) {
        return null;
      }
      if (measuredIssued.incrementAndGet() > measuredRequests) {
        return null;
      }
      return true;
    }

    void complete(String name, long intended, boolean measured, Throwable failure) {
      long now = System.nanoTime();
      inFlight.decrementAndGet();
      if (!measured) {
        return;
      }
      lastCompletion = now;
      long micros = (now - intended) / 1000;
      LatencyStats s = byScenario.get(name);
      if (failure == null) {
        overall.record(micros);
        s.record(micros);
        timeline.record(now, micros);
      } else {
        String status = Api.statusOf(failure);
        overall.error(status);
        s.error(status);
        timeline.error(now);
      }
    }

    Future<Void> issue(long intended, boolean measured) {
      String name = pick();
      inFlight.incrementAndGet();
      Future<Void> f;
      try {
        f = scenarios.start(name);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      return f.andThen(ar -> complete(name, intended, measured, ar.failed() ? ar.cause() : null));
    }

    void execute() throws InterruptedException {
      long t0 = System.nanoTime();
      Thread progress = Thread.ofPlatform().daemon().name("phantom-loadtest-progress").start(() -> progress(t0));
      try {
        if (perSecond > 0) {
          openLoop(t0);
        } else {
          closedLoop(t0);
        }
        long deadline = System.nanoTime() + (interrupted.get() ? TimeUnit.SECONDS.toNanos(3) : timeoutNanos + TimeUnit.SECONDS.toNanos(5));
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
      } finally {
        progress.interrupt();
        progress.join(2000);
        if (!quiet && System.console() != null) {
          err.println();
        }
      }
    }

    private void openLoop(long t0) {
      long period = (long) (1e9 / perSecond);
      for (long i = 0; ; i++) {
        long due = t0 + i * period;
        long wait;
        while ((wait = due - System.nanoTime()) > 0 && !stop.get()) {
          LockSupport.parkNanos(Math.min(wait, 50_000_000L));
        }
        Boolean measured = admit(i, due, t0);
        if (measured == null) {
          return;
        }
        if (inFlight.get() >= maxInFlight) {
          if (measured) {
            overall.error("CLIENT_OVERLOAD");
            byScenario.get(pick()).error("CLIENT_OVERLOAD");
            timeline.error(System.nanoTime());
          }
          continue;
        }
        issue(due, measured);
      }
    }

    private void closedLoop(long t0) throws InterruptedException {
      List<Thread> threads = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        threads.add(Thread.ofVirtual().name("client-" + c).start(() -> {
          while (true) {
            long due = System.nanoTime();
            Boolean measured = admit(issued.getAndIncrement(), due, t0);
            if (measured == null) {
              return;
            }
            try {
              issue(due, measured).toCompletionStage().toCompletableFuture().get();
            } catch (InterruptedException e) {
              return;
            } catch (ExecutionException e) {
              // recorded by complete()
            }
          }
        }));
      }
      for (Thread t : threads) {
        t.join();
      }
    }

    private void progress(long t0) {
      boolean console = System.console() != null;
      long lastCount = 0;
      while (!Thread.currentThread().isInterrupted()) {
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          return;
        }
        if (quiet) {
          continue;
        }
        long done = overall.count() + overall.errors();
        String phase = measureStart < 0 ? "warm-up" : "measured";
        String line = String.format(Locale.ROOT,
            "[%4ds] %-8s ok %d  errors %d  %.0f req/s  p50 %s ms  p99 %s ms  in flight %d",
            (System.nanoTime() - t0) / 1_000_000_000L, phase, overall.count(), overall.errors(),
            (double) (done - lastCount), HtmlReport.fmt(overall.percentileMillis(50)),
            HtmlReport.fmt(overall.percentileMillis(99)), inFlight.get());
        lastCount = done;
        if (console) {
          err.print("\r" + line + "   ");
        } else {
          err.println(line);
        }
        err.flush();
      }
    }

    double measuredSeconds() {
      if (measureStart < 0 || lastCompletion < 0) {
        return 0;
      }
      return Math.max(1e-9, (lastCompletion - measureStart) / 1e9);
    }

    JsonObject json() {
      double seconds = measuredSeconds();
      JsonArray scenarioJson = new JsonArray();
      byScenario.values().forEach(s -> scenarioJson.add(s.json(seconds)));
      return new JsonObject().put("tool", "phantom-loadtest").put("measuredSeconds", seconds)
          .put("overall", overall.json(seconds)).put("scenarios", scenarioJson)
          .put("timeline", timeline == null ? new JsonArray() : timeline.json());
    }
  }

  private void print(Run run, List<LatencyStats> compareStats, JsonObject compareJson) {
    double seconds = run.measuredSeconds();
    PrintStream o = System.out;
    o.printf(Locale.ROOT, "%s loop, %s, %.1f s measured, warm-up %s excluded%n", run.perSecond > 0 ? "open" : "closed",
        run.perSecond > 0 ? String.format(Locale.ROOT, "%.1f req/s offered", run.perSecond) : run.clients + " client(s)",
        seconds, warmup);
    o.println(LatencyStats.header());
    o.println(run.overall.line(seconds));
    if (run.byScenario.size() > 1) {
      run.byScenario.values().forEach(s -> o.println(s.line(seconds)));
    }
    Map<String, Long> errors = run.overall.errorsByStatus();
    if (!errors.isEmpty()) {
      o.println("errors by status: " + errors);
    }
    if (compareJson != null) {
      o.println();
      o.println("baselines, " + compareJson.getInteger("rounds") + " alternating rounds, one at a time:");
      o.println(LatencyStats.header());
      compareStats.forEach(s -> o.println(s.line(0)));
      for (Object r : compareJson.getJsonArray("ratios")) {
        JsonObject ratio = (JsonObject) r;
        o.printf(Locale.ROOT, "ratio %-70s p50 %s  p99 %s%n", ratio.getString("pair"),
            HtmlReport.fmt(ratio.getDouble("p50")), HtmlReport.fmt(ratio.getDouble("p99")));
      }
    }
    if (interrupted.get()) {
      o.println("interrupted: the result is partial");
    }
  }

  private void write(JsonObject result) throws IOException {
    if (out != null) {
      createParent(out);
      Files.writeString(out, result.encodePrettily() + "\n", StandardCharsets.UTF_8);
      err.println("wrote " + out);
    }
    if (html != null) {
      createParent(html);
      Files.writeString(html, HtmlReport.render(result), StandardCharsets.UTF_8);
      err.println("wrote " + html);
    }
  }

  private static void createParent(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
  }

  static SocketAddress address(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new BadInput("--gateway must be HOST:PORT, got '" + hostPort + "'");
    }
    try {
      int port = Integer.parseInt(hostPort.substring(colon + 1));
      if (port <= 0 || port > 65535) {
        throw new NumberFormatException();
      }
      return SocketAddress.inetSocketAddress(port, hostPort.substring(0, colon));
    } catch (NumberFormatException e) {
      throw new BadInput("--gateway port must be a number from 1 to 65535, got '" + hostPort + "'");
    }
  }

  static double parseRate(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    double per = 1;
    if (t.endsWith("/s")) {
      t = t.substring(0, t.length() - 2);
    } else if (t.endsWith("/m")) {
      t = t.substring(0, t.length() - 2);
      per = 60;
    }
    try {
      double r = Double.parseDouble(t) / per;
      if (!(r > 0) || Double.isInfinite(r) || r > 1_000_000) {
        throw new NumberFormatException();
      }
      return r;
    } catch (NumberFormatException e) {
      throw new BadInput("--rate must be a positive number of requests per second up to 1000000, e.g. 50/s or 600/m; got '" + text + "'");
    }
  }

  /** 30s, 500ms, 2m, 1h; a bare number is seconds when allowed. */
  static long parseTime(String option, String text, boolean bareSeconds) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?").matcher(t);
    if (!m.matches() || (m.group(2) == null && !bareSeconds)) {
      throw new BadInput(option + " must be a time such as 500ms, 30s, 2m or 1h; got '" + text + "'");
    }
    double v = Double.parseDouble(m.group(1));
    double nanos = v * switch (m.group(2) == null ? "s" : m.group(2)) {
      case "ms" -> 1e6;
      case "m" -> 60e9;
      case "h" -> 3600e9;
      default -> 1e9;
    };
    if (nanos <= 0 && !option.equals("--warmup") && !option.equals("--compare-settle")) {
      throw new BadInput(option + " must be > 0; got '" + text + "'");
    }
    return (long) nanos;
  }

  static int parseSize(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)([km]?)i?b?").matcher(t);
    if (!m.matches()) {
      throw new BadInput("--file-size must be bytes such as 4096, 64k or 1m; got '" + text + "'");
    }
    long v = Long.parseLong(m.group(1)) * switch (m.group(2)) {
      case "k" -> 1024L;
      case "m" -> 1024L * 1024;
      default -> 1L;
    };
    if (v < 0 || v > 64L << 20) {
      throw new BadInput("--file-size must be at most 64m; got '" + text + "'");
    }
    return (int) v;
  }
}
