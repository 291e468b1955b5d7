package dev.phantom.loadtest;

import dev.phantom.support.process.DirectSpawn;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunRequest;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Baselines measured in the same run on the same machine, one request at a time and alternating
 * (the order rotates every round), so drift in the machine's load hits every series alike.
 */
final class Baselines {

  private record Series(String name, Supplier<String> once, LatencyStats stats) {}

  private final List<List<Series>> groups = new ArrayList<>();
  private final Map<String, String> skipped = new LinkedHashMap<>();

  Baselines(Supplier<Api> channels, String profile, boolean python, String containerImage) {
    List<Series> trueGroup = new ArrayList<>();
    trueGroup.add(new Series("phantom Run true (" + profile + ")",
        () -> phantom(channels.get().run(RunRequest.newBuilder().setProfile(profile).addArgv("true").build())
            .map(r -> r.getStatus().name() + (r.hasExitCode() ? r.getExitCode() : ""))), null));
    trueGroup.add(new Series("bare bwrap true (no service)", () -> process(concat(LoadTest.BARE_BWRAP, List.of("true"))), null));
    // The cold-path yardstick: bare bwrap with the profile's own seccomp program (read from stdin).
    Path filter = profileFilter(channels.get(), profile);
    if (filter != null) {
      trueGroup.add(new Series("bare bwrap true + " + profile + " filter", () -> process(concat(
          LoadTest.BARE_BWRAP.subList(0, 1), List.of("--seccomp", "0"), LoadTest.BARE_BWRAP.subList(1, LoadTest.BARE_BWRAP.size()),
          List.of("true")), filter), null));
    } else {
      skipped.put("bare bwrap + filter", "the gateway did not compile profile " + profile);
    }
    trueGroup.add(new Series("host exec true", () -> process(List.of("true")), null));
    for (String engine : List.of("docker", "podman")) {
      String why = engineUnavailable(engine, containerImage);
      if (why == null) {
        trueGroup.add(new Series(engine + " run true (" + containerImage + ")",
            () -> process(List.of(engine, "run", "--rm", "--network=none", containerImage, "true")), null));
      } else {
        skipped.put(engine, why);
      }
    }
    groups.add(withStats(trueGroup));
    if (python) {
      List<Series> py = new ArrayList<>();
      py.add(new Series("phantom RunCode python hello",
          () -> phantom(channels.get().runCode(RunCodeRequest.newBuilder().setLanguage("python")
              .setSource("print('hello')\n").build()).map(r -> r.getStatus().name() + (r.hasExitCode() ? r.getExitCode() : ""))), null));
      py.add(new Series("bare bwrap python3 hello", () -> process(concat(LoadTest.BARE_BWRAP,
          List.of("python3", "-c", "print('hello')"))), null));
      py.add(new Series("host exec python3 hello", () -> process(List.of(sandboxPython(), "-c", "print('hello')")), null));
      groups.add(withStats(py));
    }
  }

  /**
   * The python3 a sandbox finds on its PATH (/usr/local/bin:/usr/bin:/bin), not the caller's: a version
   * manager's shim first on the caller's PATH would make the host baseline slow for reasons of its own.
   */
  static String sandboxPython() {
    for (String dir : List.of("/usr/local/bin", "/usr/bin", "/bin")) {
      java.nio.file.Path candidate = java.nio.file.Path.of(dir, "python3");
      if (java.nio.file.Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    return "python3";
  }

  private static List<Series> withStats(List<Series> group) {
    List<Series> out = new ArrayList<>();
    for (Series s : group) {
      out.add(new Series(s.name(), s.once(), new LatencyStats(s.name())));
    }
    return out;
  }

  /** Why a container engine cannot serve as a baseline here, or null when it can. */
  private static String engineUnavailable(String engine, String image) {
    if (Machine.firstLine(List.of("sh", "-c", "command -v " + engine)) == null) {
      return engine + " is not installed";
    }
    if (Machine.firstLine(List.of(engine, "info", "--format", "{{.ServerVersion}}")) == null
        && Machine.firstLine(List.of(engine, "info")) == null) {
      return engine + " is installed but its engine does not answer";
    }
    if (Machine.firstLine(List.of(engine, "image", "inspect", "--format", "{{.Id}}", image)) == null) {
      return "image " + image + " is not present locally (pull it first; a baseline never pulls)";
    }
    return null;
  }

  /**
   * Runs the rounds; returns the compare section of the result.
   *
   * @param phantomWarmup calls of each phantom series alone before the rounds, 10 ms apart (so that warm
   *     pools keep up): a long-running gateway and client have their hot paths compiled, which a few
   *     alternating rounds do not give (the JIT needs a few thousand calls)
   * @param settle untimed pause after every call of the rounds: a phantom call returns before its
   *     sandbox's teardown and before the warm pool's refill, and on a two-core host that work doubled a
   *     bare bwrap's time when the next series ran into it (11 ms instead of 6)
   */
  JsonObject run(int phantomWarmup, int warmup, int rounds, Duration settle, BooleanSupplier stop) {
    for (int i = 0; i < phantomWarmup && !stop.getAsBoolean(); i++) {
      for (List<Series> group : groups) {
        group.getFirst().once().get();
        if (!pause(Duration.ofMillis(10))) {
          return new JsonObject();
        }
      }
    }
    for (int i = 0; i < warmup + rounds && !stop.getAsBoolean(); i++) {
      boolean measured = i >= warmup;
      for (List<Series> group : groups) {
        for (int j = 0; j < group.size(); j++) {
          Series s = group.get((i + j) % group.size());
          long start = System.nanoTime();
          String outcome = s.once().get();
          long micros = (System.nanoTime() - start) / 1000;
          if (!pause(settle)) {
            return new JsonObject();
          }
          if (measured) {
            if (outcome == null) {
              s.stats().record(micros);
            } else {
              s.stats().error(outcome);
            }
          }
        }
      }
    }
    JsonArray series = new JsonArray();
    JsonArray ratios = new JsonArray();
    for (List<Series> group : groups) {
      for (Series s : group) {
        series.add(s.stats().json(0));
      }
      for (int a = 0; a < group.size(); a++) {
        for (int b = a + 1; b < group.size(); b++) {
          LatencyStats x = group.get(a).stats();
          LatencyStats y = group.get(b).stats();
          ratios.add(new JsonObject().put("pair", x.name() + " / " + y.name())
              .put("p50", ratio(x.percentileMillis(50), y.percentileMillis(50)))
              .put("p99", ratio(x.percentileMillis(99), y.percentileMillis(99)))
              .put("mean", ratio(x.meanMillis(), y.meanMillis())));
        }
      }
    }
    return new JsonObject().put("method", "one request at a time, alternating " + rounds
            + " rounds after " + phantomWarmup + " warm-up calls of each phantom series alone and " + warmup
            + " warm-up rounds; the order rotates every round; " + settle.toMillis()
            + " ms untimed pause after each call; latency is wall time "
            + "from call to complete reply (phantom) or to process exit (baselines)")
        .put("rounds", rounds).put("series", series).put("ratios", ratios)
        .put("skipped", skippedJson());
  }

  /** False when interrupted. */
  private static boolean pause(Duration d) {
    if (d.isZero()) {
      return true;
    }
    try {
      TimeUnit.NANOSECONDS.sleep(d.toNanos());
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private JsonObject skippedJson() {
    JsonObject o = new JsonObject();
    skipped.forEach(o::put);
    return o;
  }

  List<LatencyStats> stats() {
    List<LatencyStats> all = new ArrayList<>();
    groups.forEach(g -> g.forEach(s -> all.add(s.stats())));
    return all;
  }

  Map<String, String> skipped() {
    return skipped;
  }

  private static Double ratio(double a, double b) {
    double r = a / b;
    return Double.isNaN(r) || Double.isInfinite(r) ? null : r;
  }

  /** Null on success, else the status. */
  private static String phantom(Future<String> call) {
    try {
      String outcome = call.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
      return outcome.equals("RUN_STATUS_OK0") ? null : outcome;
    } catch (java.util.concurrent.ExecutionException e) {
      return Api.statusOf(e.getCause());
    } catch (Exception e) {
      return Api.statusOf(e);
    }
  }

  /** The profile's seccomp program in a temporary file (deleted at exit), or null when it cannot be had. */
  private static Path profileFilter(Api api, String profile) {
    try {
      byte[] bpf = api.compileProfile(profile).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS)
          .getSeccompBpf().toByteArray();
      if (bpf.length == 0) {
        return null;
      }
      Path file = Files.createTempFile("phantom-filter-", ".bpf");
      file.toFile().deleteOnExit();
      return Files.write(file, bpf);
    } catch (Exception e) {
      return null;
    }
  }

  private static String process(List<String> command) {
    return process(command, null);
  }

  /**
   * Runs {@code command} with {@code stdin} (a file) as its standard input, or none: through posix_spawnp,
   * as a lean caller would, not ProcessBuilder (whose own overhead would flatter every comparison).
   */
  private static String process(List<String> command, Path stdin) {
    try {
      int exit = DirectSpawn.run(command, stdin);
      return exit == 0 ? null : "EXIT_" + exit;
    } catch (IllegalStateException e) {
      return "CANNOT_START";
    }
  }

  @SafeVarargs
  private static List<String> concat(List<String>... parts) {
    List<String> all = new ArrayList<>();
    for (List<String> part : parts) {
      all.addAll(part);
    }
    return all;
  }
}
