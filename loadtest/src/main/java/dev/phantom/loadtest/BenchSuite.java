package dev.phantom.loadtest;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The benchmark suite behind docs/benchmarks.md: starts the product on this machine (embedded, then
 * clustered), measures it next to baselines taken in the same run, and writes the whole document and
 * README's performance block from the results, so that no figure in either is typed by hand.
 */
@Command(name = "bench-suite", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Measures this machine and writes docs/benchmarks.md and README.md's performance block.")
public final class BenchSuite implements Callable<Integer> {

  @Option(names = "--quick", description = "Few requests and sandboxes: to try the suite (a minute or two).")
  boolean quick;

  @Option(names = "--root", defaultValue = ".", description = "The repository (holds ./phantom; default: ${DEFAULT-VALUE}).")
  Path root;

  @Option(names = "--out", paramLabel = "FILE", description = "The document (default: ROOT/docs/benchmarks.md).")
  Path out;

  @Option(names = "--readme", paramLabel = "FILE", description = "README whose bench block is rewritten (default: ROOT/README.md; 'none' skips).")
  String readme;

  @Option(names = "--json", paramLabel = "FILE", description = "All results (default: ROOT/loadtest/target/bench/benchmarks.json).")
  Path json;

  @Option(names = "--deployments", split = ",", defaultValue = "embedded,clustered",
      description = "Where the scenarios run (default: ${DEFAULT-VALUE}).")
  List<String> deployments;

  @Option(names = "--idle-sandboxes", split = ",", paramLabel = "N,...",
      description = "Idle sandbox counts of the memory table (default: 100,1000; --quick: 10,50).")
  List<Integer> idleCounts;

  @Option(names = "--cold-config", paramLabel = "JSON", defaultValue = "{\"zygote\":{\"pools\":[]}}",
      description = "Node config that turns warm pools off, for the cold row (default: ${DEFAULT-VALUE}).")
  String coldConfig;

  @Option(names = "--from-json", paramLabel = "FILE",
      description = "Measure nothing: render the document and README block again from an earlier run's results.")
  Path fromJson;

  /** The suite's own work directory: deployments' homes and logs, loadtest results. */
  private Path work;

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new BenchSuite());
    cli.setExecutionExceptionHandler((e, c, r) -> {
      System.err.println("bench-suite: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
      return 1;
    });
    System.exit(cli.execute(args));
  }

  @Override
  public Integer call() throws Exception {
    root = root.toAbsolutePath().normalize();
    Path launcher = root.resolve("phantom");
    if (!Files.isExecutable(launcher)) {
      throw new IllegalArgumentException("no launcher at " + launcher + " (give --root)");
    }
    out = out != null ? out : root.resolve("docs/benchmarks.md");
    json = json != null ? json : root.resolve("loadtest/target/bench/benchmarks.json");
    work = root.resolve("loadtest/target/bench");
    Files.createDirectories(work);
    if (idleCounts == null) {
      idleCounts = quick ? List.of(10, 50) : List.of(100, 1000);
    }
    int maxIdle = idleCounts.stream().mapToInt(Integer::intValue).max().orElse(0);
    if (fromJson != null) {
      write(new JsonObject(Files.readString(fromJson)), false);
      return 0;
    }
    long t0 = System.nanoTime();

    JsonObject results = new JsonObject().put("generatedAt", Instant.now().toString()).put("quick", quick)
        .put("command", "loadtest/bench-suite.sh" + (quick ? " --quick" : ""))
        .put("machine", Machine.describe()).put("product", Machine.product());
    step("background load before the suite (5 s, nothing of ours running)");
    JsonObject background = new JsonObject().put("before", Background.sample(5));

    // Sessions are long-lived sandboxes: the zygote's default of 32 is raised so the memory table can
    // hold its largest count. Host workspaces are allowed for the bind-mount I/O row, and the per-caller
    // rate limit is off: the suite measures what the product can do, not the limit it is set to.
    JsonObject config = new JsonObject()
        .put("zygote", new JsonObject().put("maxSessions", maxIdle + 16).put("pools", new JsonArray()
            .add(new JsonObject().put("profile", "minimal").put("size", 16))
            .add(new JsonObject().put("profile", "python-dev").put("size", 4))))
        .put("gateway", new JsonObject().put("allowHostWorkspaces", true).put("rateLimitPerSecond", 0));
    JsonArray scenarios = new JsonArray();
    JsonObject controlPlane = new JsonObject();
    step("embedded deployment: phantom up");
    try (Deployment d = Deployment.start(launcher, Deployment.Kind.EMBEDDED, work.resolve("embedded"), config, true);
         BenchClient client = new BenchClient(d.gateway())) {
      if (deployments.contains("embedded")) {
        scenarios(d, "embedded", scenarios);
      }
      controlPlane.put("embedded", members(d));
      spawn(d, results);
      results.put("throughput", throughput(d));
      results.put("io", io(client));
      results.put("idleMemory", idleMemory(d, client));
    }
    step("baseline: an idle JVM with the launcher's flags");
    controlPlane.put("idleJvm", idleJvm());
    if (deployments.contains("clustered")) {
      step("clustered deployment: three phantom node JVMs, one Hazelcast cluster on loopback");
      try (Deployment d = Deployment.start(launcher, Deployment.Kind.CLUSTERED, work.resolve("clustered"), config, true)) {
        scenarios(d, "clustered", scenarios);
        controlPlane.put("clustered", members(d));
      }
    }
    results.put("scenarios", scenarios).put("controlPlane", controlPlane);
    step("background load after the suite (5 s)");
    background.put("after", Background.sample(5));
    results.put("background", background).put("suiteSeconds", (System.nanoTime() - t0) / 1e9);

    write(results, true);
    return 0;
  }

  /** The results JSON (when new), the document, and README's block. */
  private void write(JsonObject results, boolean newResults) throws IOException {
    if (newResults) {
      Files.createDirectories(json.toAbsolutePath().getParent());
      Files.writeString(json, results.encodePrettily() + "\n");
    }
    String document = BenchReport.document(results);
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, document);
    System.err.println("wrote " + (newResults ? json + " and " : "") + out);
    if (!"none".equals(readme)) {
      Path readmePath = readme != null ? Path.of(readme) : root.resolve("README.md");
      String before = Files.readString(readmePath);
      Files.writeString(readmePath, BenchReport.replaceBlock(before, BenchReport.headline(results, root.relativize(
          out.toAbsolutePath()).toString())));
      System.err.println("rewrote the bench block of " + readmePath);
    }
  }

  private static void step(String what) {
    System.err.println("== " + java.time.LocalTime.now().withNano(0) + " " + what);
  }

  /** Every scenario alone, closed loop at concurrency 2. */
  private void scenarios(Deployment d, String where, JsonArray into) throws IOException {
    int requests = quick ? 10 : 60;
    for (String scenario : Scenarios.NAMES) {
      step(where + ": scenario " + scenario);
      JsonObject r = loadtest(where + "-" + scenario, "--gateway", d.gateway(), "--scenario", scenario,
          "--concurrency", "2", "--sessions", "2", "--requests", String.valueOf(requests), "--warmup", "4");
      into.add(new JsonObject().put("deployment", where).put("scenario", scenario).put("result", summary(r.getJsonObject("overall"))));
    }
  }

  /** Run true one at a time, alternating with bare bwrap and host exec; a warm row when the build has pools. */
  private void spawn(Deployment d, JsonObject results) throws Exception {
    int rounds = quick ? 30 : 200;
    // Calls of the phantom series alone before the rounds: a long-running gateway and client have their
    // paths compiled (the JIT needs thousands of calls); without them the cold row measured 12.9 ms where
    // bench-warm.sh, after 1000, measured 7.7-8.0 against the same bare bwrap.
    int warmUpCalls = quick ? 100 : 1000;
    boolean pools = Pools.reported(d);
    step("spawn latency of Run true, " + rounds + " alternating rounds" + (pools ? " (pools reported)" : ""));
    JsonObject asDeployed = compare(d, "spawn", rounds, warmUpCalls);
    JsonObject spawn = new JsonObject().put("rounds", rounds).put("warmUpCalls", warmUpCalls).put("poolsReported", pools);
    if (!pools) {
      spawn.put("cold", asDeployed).put("warmUnavailable", "pools not available in this build");
    } else {
      spawn.put("warm", asDeployed);
      if (coldConfig == null) {
        spawn.put("coldUnavailable", "this build has pools and no --cold-config turned them off");
      } else {
        JsonObject config = new JsonObject(coldConfig);
        try (Deployment cold = Deployment.start(root.resolve("phantom"), Deployment.Kind.EMBEDDED, work.resolve("cold"), config, true)) {
          spawn.put("cold", compare(cold, "spawn-cold", rounds, warmUpCalls));
        }
      }
    }
    results.put("spawn", spawn);
  }

  private JsonObject compare(Deployment d, String name, int rounds, int warmUpCalls) throws IOException {
    JsonObject r = loadtest(name, "--gateway", d.gateway(), "--scenario", "run-true", "--concurrency", "1",
        "--requests", "5", "--warmup", "10", "--compare", "--compare-requests", String.valueOf(rounds),
        "--compare-warmup", String.valueOf(warmUpCalls));
    JsonObject byRole = new JsonObject();
    for (Object o : r.getJsonObject("compare").getJsonArray("series")) {
      JsonObject s = (JsonObject) o;
      String series = s.getString("name");
      String role = series.startsWith("phantom") ? "phantom" : series.startsWith("bare bwrap") ? "bwrap"
          : series.startsWith("host") ? "host" : null;
      if (role != null) {
        byRole.put(role, summary(s));
      }
    }
    return byRole;
  }

  /** Closed loop Run true at each concurrency, next to bare bwrap and host exec at the same concurrency. */
  private JsonArray throughput(Deployment d) throws Exception {
    JsonArray rows = new JsonArray();
    List<String> bwrapTrue = HostRuns.bwrap(List.of(), List.of("true"));
    for (int c : new int[] {1, 2, 4, 8, 16}) {
      int requests = Math.max(quick ? 10 : 60, c * (quick ? 3 : 15));
      step("throughput at concurrency " + c + ", " + requests + " runs each");
      JsonObject r = loadtest("throughput-" + c, "--gateway", d.gateway(), "--scenario", "run-true",
          "--concurrency", String.valueOf(c), "--requests", String.valueOf(requests), "--warmup", String.valueOf(2 * c));
      rows.add(new JsonObject().put("concurrency", c).put("phantom", summary(r.getJsonObject("overall")))
          .put("bwrap", HostRuns.throughput(bwrapTrue, c, requests))
          .put("host", HostRuns.throughput(List.of("true"), c, requests)));
    }
    return rows;
  }

  /** dd in /workspace (its tmpfs, then a host directory bound there) inside the sandbox, in bare bwrap, on the host. */
  private JsonArray io(BenchClient client) throws Exception {
    int mib = 48;
    int repeats = quick ? 3 : 7;
    Path hostDir = Files.createTempDirectory(work, "bind-");
    // The sandbox's host user (not root) writes here through the bind mount.
    Files.setPosixFilePermissions(hostDir, PosixFilePermissions.fromString("rwxrwxrwx"));
    Path shm = Files.createTempDirectory(Path.of("/dev/shm"), "phantom-bench-");
    JsonArray rows = new JsonArray();
    try {
      step("I/O: " + mib + " MiB written (fsync) and read with dd, " + repeats + " times each");
      String script = HostRuns.ddScript("/workspace", mib);
      rows.add(ioRow("/workspace tmpfs", repeats,
          () -> client.run("", script),
          () -> HostRuns.output(HostRuns.bwrap(List.of("--size", String.valueOf(64L << 20), "--tmpfs", "/workspace"),
              List.of("sh", "-c", script))),
          () -> HostRuns.output(List.of("sh", "-c", HostRuns.ddScript(shm.toString(), mib))), "host tmpfs " + shm.getParent()));
      rows.add(ioRow("/workspace bound to a host directory", repeats,
          () -> client.run(hostDir.toString(), script),
          () -> HostRuns.output(HostRuns.bwrap(List.of("--bind", hostDir.toString(), "/workspace"), List.of("sh", "-c", script))),
          () -> HostRuns.output(List.of("sh", "-c", HostRuns.ddScript(hostDir.toString(), mib))),
          "the same host directory (" + Machine.firstLine(List.of("findmnt", "-n", "-o", "FSTYPE", "--target", hostDir.toString())) + ")"));
    } finally {
      HostRuns.run(List.of("rm", "-rf", hostDir.toString(), shm.toString()));
    }
    return rows.add(new JsonObject().put("note", "dd bs=1M count=" + mib + ", conv=fsync on write; median of " + repeats));
  }

  private interface Dd {
    String run() throws Exception;
  }

  private static JsonObject ioRow(String where, int repeats, Dd phantom, Dd bwrap, Dd host, String hostWhere) throws Exception {
    JsonObject row = new JsonObject().put("where", where).put("hostWhere", hostWhere);
    String[] names = {"phantom", "bwrap", "host"};
    Dd[] runs = {phantom, bwrap, host};
    double[][] write = new double[3][repeats];
    double[][] read = new double[3][repeats];
    for (int i = 0; i < repeats; i++) {
      for (int j = 0; j < 3; j++) {
        int k = (i + j) % 3;  // alternate, so drift hits all three alike
        double[] rates = HostRuns.ddRates(runs[k].run());
        if (rates.length != 2) {
          throw new IllegalStateException("dd in " + names[k] + " (" + where + ") did not report a write and a read");
        }
        write[k][i] = rates[0];
        read[k][i] = rates[1];
      }
    }
    for (int k = 0; k < 3; k++) {
      row.put(names[k], new JsonObject().put("writeMibPerSecond", HostRuns.median(write[k]))
          .put("readMibPerSecond", HostRuns.median(read[k])));
    }
    return row;
  }

  /** PSS of N idle sessions (every process each costs, and the JVM's growth), next to N idle bare bwraps and shells. */
  private JsonArray idleMemory(Deployment d, BenchClient client) throws Exception {
    JsonArray rows = new JsonArray();
    long jvm = d.zygote().process().pid();
    for (int n : idleCounts) {
      step("idle memory: " + n + " sessions");
      Jvm.gc(jvm);
      Pss jvmBefore = Pss.of(jvm);
      long start = System.nanoTime();
      List<String> ids = client.createSessions(n);
      double createSeconds = (System.nanoTime() - start) / 1e9;
      Thread.sleep(2000);
      Jvm.gc(jvm);
      Map<Long, List<Long>> children = Pss.children();
      List<Long> sandboxProcesses = Pss.tree(jvm, children).subList(1, Pss.tree(jvm, children).size());
      Pss sandboxes = Pss.sum(sandboxProcesses);
      Pss jvmAfter = Pss.of(jvm);
      client.destroy(ids);
      step("idle memory: " + n + " bare bwraps, then " + n + " host shells");
      Pss bwrap = HostRuns.idle(HostRuns.bwrap(List.of(), List.of("sh", "-c", "read line")), n);
      Pss host = HostRuns.idle(List.of("sh", "-c", "read line"), n);
      rows.add(new JsonObject().put("sandboxes", n).put("createSeconds", createSeconds)
          .put("phantomSandboxPssKib", sandboxes.pssKib() / (double) n)
          .put("phantomProcessesPerSandbox", sandboxes.processes() / (double) n)
          .put("jvmSharePssKib", (jvmAfter.pssKib() - jvmBefore.pssKib()) / (double) n)
          .put("bwrapPssKib", bwrap.pssKib() / (double) n).put("bwrapProcessesPerSandbox", bwrap.processes() / (double) n)
          .put("hostPssKib", host.pssKib() / (double) n));
    }
    return rows;
  }

  /** Every member's own memory (no sandbox), idle after the scenarios. */
  private static JsonArray members(Deployment d) throws InterruptedException {
    JsonArray members = new JsonArray();
    for (Deployment.Member m : d.members) {
      Jvm.gc(m.process().pid());
    }
    Thread.sleep(2000);
    for (Deployment.Member m : d.members) {
      Pss p = Pss.of(m.process().pid());
      members.add(new JsonObject().put("roles", m.roles()).put("rssKib", p.rssKib()).put("pssKib", p.pssKib()));
    }
    return members;
  }

  private static JsonObject idleJvm() throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    String classpath = System.getProperty("java.class.path");
    Process p = new ProcessBuilder(java, "-XX:+UseSerialGC", "-Xshare:auto", "-cp", classpath, IdleJvm.class.getName())
        .redirectErrorStream(true).start();
    try {
      p.getInputStream().read();
      Thread.sleep(3000);
      Pss pss = Pss.of(p.pid());
      return new JsonObject().put("roles", "idle JVM").put("rssKib", pss.rssKib()).put("pssKib", pss.pssKib());
    } finally {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Runs the load generator in this JVM; its JSON result. */
  private JsonObject loadtest(String name, String... args) throws IOException {
    Path result = work.resolve("results/" + name + ".json");
    Files.deleteIfExists(result);
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(List.of("--quiet", "--out", result.toString()));
    int exit = LoadTest.execute(all.toArray(String[]::new));
    if (!Files.exists(result)) {
      throw new IllegalStateException("the load generator wrote no result for " + name + " (exit " + exit + ")");
    }
    return new JsonObject(Files.readString(result, StandardCharsets.UTF_8));
  }

  private static JsonObject summary(JsonObject stats) {
    JsonObject latency = stats.getJsonObject("latencyMillis", new JsonObject());
    return new JsonObject().put("ok", stats.getLong("ok")).put("errors", stats.getLong("errors"))
        .put("errorsByStatus", stats.getJsonObject("errorsByStatus")).put("perSecond", stats.getDouble("throughputPerSecond"))
        .put("p50", latency.getDouble("p50")).put("p99", latency.getDouble("p99")).put("mean", latency.getDouble("mean"));
  }
}
