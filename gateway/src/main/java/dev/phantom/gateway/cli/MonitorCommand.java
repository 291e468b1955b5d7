package dev.phantom.gateway.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** A live view of a running gateway, from its /ready and /metrics: nodes, runs, latencies, refusals. */
@Command(name = "monitor", mixinStandardHelpOptions = true,
    description = "Live view of a running gateway (nodes, running/capacity, runs by status, spawn and run p50/p99, "
        + "auth failures, rate-limit hits), refreshed every second.")
final class MonitorCommand implements Callable<Integer> {

  @Option(names = "--http", paramLabel = "HOST:PORT",
      description = "The gateway's HTTP address (default 127.0.0.1:8080, or PHANTOM_GATEWAY's host with port 8080).")
  String http;

  @Option(names = "--api-key", description = "API key (default: PHANTOM_API_KEY).")
  String apiKey;

  @Option(names = "--once", description = "Print one snapshot and exit.")
  boolean once;

  @Override
  public Integer call() throws Exception {
    String base = "http://" + address();
    String key = apiKey != null ? apiKey : System.getenv("PHANTOM_API_KEY");
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    boolean terminal = System.console() != null && !once;
    while (true) {
      String line;
      try {
        line = snapshot(client, base, key);
      } catch (java.io.IOException e) {
        if (once) {
          System.err.println("phantom monitor: cannot reach " + base + ": " + e.getMessage());
          return 3;
        }
        line = "unreachable: " + base;
      }
      if (terminal) {
        System.out.print("\r\033[2K" + line);
        System.out.flush();
      } else {
        System.out.println(line);
      }
      if (once) {
        return 0;
      }
      Thread.sleep(1000);
    }
  }

  private String address() {
    if (http != null && !http.isBlank()) {
      return http;
    }
    String gateway = System.getenv("PHANTOM_GATEWAY");
    if (gateway != null && gateway.lastIndexOf(':') > 0) {
      return gateway.substring(0, gateway.lastIndexOf(':')) + ":8080";
    }
    return "127.0.0.1:8080";
  }

  private static String get(HttpClient client, String url, String key) throws java.io.IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3));
    if (key != null && !key.isBlank()) {
      request.header("authorization", "Bearer " + key);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString()).body();
  }

  static String snapshot(HttpClient client, String base, String key) throws java.io.IOException, InterruptedException {
    JsonObject ready;
    try {
      ready = new JsonObject(get(client, base + "/ready", key));
    } catch (io.vertx.core.json.DecodeException e) {
      ready = new JsonObject();
    }
    JsonArray nodes = ready.getJsonArray("nodes", new JsonArray());
    long running = 0;
    long capacity = 0;
    for (int i = 0; i < nodes.size(); i++) {
      running += nodes.getJsonObject(i).getLong("running", 0L);
      capacity += nodes.getJsonObject(i).getLong("capacity", 0L);
    }
    String metrics = get(client, base + "/metrics", key);
    Map<String, Double> runs = new TreeMap<>();
    for (Sample s : samples(metrics, "phantom_runs_total")) {
      runs.merge(label(s.labels, "status"), s.value, Double::sum);
    }
    StringBuilder runText = new StringBuilder();
    runs.forEach((status, n) -> runText.append(runText.isEmpty() ? "" : " ").append(status.toLowerCase()).append('=')
        .append((long) n.doubleValue()));
    long total = runs.values().stream().mapToLong(Double::longValue).sum();
    return String.format("nodes %d (%s) | running %d/%d | runs %d [%s] | spawn p50 %s p99 %s | run p50 %s p99 %s"
            + " | auth failures %d | rate-limited %d",
        nodes.size(), ready.getBoolean("ready", false) ? "ready" : "not ready", running, capacity, total, runText,
        ms(quantile(metrics, "phantom_spawn_duration_seconds", 0.5)), ms(quantile(metrics, "phantom_spawn_duration_seconds", 0.99)),
        ms(quantile(metrics, "phantom_run_duration_seconds", 0.5)), ms(quantile(metrics, "phantom_run_duration_seconds", 0.99)),
        (long) sum(metrics, "phantom_auth_failures_total"), (long) sum(metrics, "phantom_ratelimit_hits_total"));
  }

  private record Sample(String labels, double value) {}

  private static final Pattern LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)\\})?\\s+(\\S+)", Pattern.MULTILINE);

  private static java.util.List<Sample> samples(String text, String name) {
    java.util.List<Sample> found = new java.util.ArrayList<>();
    Matcher m = LINE.matcher(text);
    while (m.find()) {
      if (m.group(1).equals(name)) {
        try {
          found.add(new Sample(m.group(3) == null ? "" : m.group(3), Double.parseDouble(m.group(4))));
        } catch (NumberFormatException e) {
          // NaN and friends parse; anything else is skipped
        }
      }
    }
    return found;
  }

  private static String label(String labels, String name) {
    Matcher m = Pattern.compile("(?:^|,)" + name + "=\"([^\"]*)\"").matcher(labels);
    return m.find() ? m.group(1) : "?";
  }

  private static double sum(String text, String name) {
    return samples(text, name).stream().mapToDouble(Sample::value).sum();
  }

  /** The quantile estimated from the cumulative buckets, summed over every label set; NaN with no data. */
  static double quantile(String text, String histogram, double q) {
    TreeMap<Double, Double> buckets = new TreeMap<>();
    for (Sample s : samples(text, histogram + "_bucket")) {
      String le = label(s.labels, "le");
      double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
      buckets.merge(bound, s.value, Double::sum);
    }
    if (buckets.isEmpty() || buckets.lastEntry().getValue() <= 0) {
      return Double.NaN;
    }
    double rank = q * buckets.lastEntry().getValue();
    double lowerBound = 0;
    double lowerCount = 0;
    for (Map.Entry<Double, Double> bucket : buckets.entrySet()) {
      if (bucket.getValue() >= rank) {
        if (bucket.getKey().isInfinite()) {
          return lowerBound;
        }
        double inBucket = bucket.getValue() - lowerCount;
        return inBucket <= 0 ? bucket.getKey()
            : lowerBound + (bucket.getKey() - lowerBound) * (rank - lowerCount) / inBucket;
      }
      lowerBound = bucket.getKey();
      lowerCount = bucket.getValue();
    }
    return lowerBound;
  }

  private static String ms(double seconds) {
    return Double.isNaN(seconds) ? "-" : String.format("%.1fms", seconds * 1000);
  }
}
