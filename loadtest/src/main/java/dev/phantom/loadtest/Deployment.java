package dev.phantom.loadtest;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The product started through its launcher as separate processes on loopback, the way a user starts
 * it: embedded ({@code phantom up}, one JVM) or clustered ({@code phantom node}, three JVMs forming a
 * Hazelcast cluster with a random name: gateway+orchestrator, policy, zygote). Each launcher execs its
 * JVM, so a member's process id is its JVM's, and the sandboxes it spawns are that JVM's descendants.
 */
final class Deployment implements AutoCloseable {

  enum Kind { EMBEDDED, CLUSTERED }

  /** One JVM of the deployment and the roles it runs. */
  record Member(String roles, Process process, Path log) {}

  private static final Pattern GRPC = Pattern.compile("gRPC (?:listening on )?127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern HTTP = Pattern.compile("HTTP (?:on )?http://127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern JOINED = Pattern.compile("^node (\\S+) joined");
  private static final Duration START_LIMIT = Duration.ofSeconds(120);

  /** Deployments not yet closed: stopped if the JVM exits first (Ctrl-C), so no product process outlives it. */
  private static final Set<Deployment> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> List.copyOf(LIVE).forEach(Deployment::close), "deployments-stop"));
  }

  final Kind kind;
  final List<Member> members = new ArrayList<>();
  int grpcPort;
  int httpPort;

  private Deployment(Kind kind) {
    this.kind = kind;
  }

  /**
   * Starts the deployment and waits until a zygote node is ready.
   *
   * @param launcher the {@code phantom} script
   * @param home its PHANTOM_HOME (keys, audit log, state directories, member logs)
   * @param config node configuration (per-role sections) given to every member with {@code --config}
   */
  static Deployment start(Path launcher, Kind kind, Path home, JsonObject config, boolean insecureLocal)
      throws IOException, InterruptedException {
    Files.createDirectories(home);
    Path configFile = home.resolve("node-config.json");
    Files.writeString(configFile, config.encodePrettily());
    Deployment d = new Deployment(kind);
    LIVE.add(d);
    try {
      List<String> front = new ArrayList<>(List.of("--grpc-port", "0", "--http-port", "0", "--config", configFile.toString()));
      if (insecureLocal) {
        front.add("--insecure-local");
      }
      if (kind == Kind.EMBEDDED) {
        List<String> up = new ArrayList<>(List.of("up"));
        up.addAll(front);
        Member m = d.launch(launcher, home, "embedded", up);
        d.awaitPorts(m);
      } else {
        String cluster = "bench-" + UUID.randomUUID();
        int port = freePort();
        String join = "127.0.0.1:" + port;
        List<String> gw = new ArrayList<>(List.of("node", "--role", "gateway,orchestrator", "--cluster-name", cluster,
            "--cluster-port", String.valueOf(port)));
        gw.addAll(front);
        Member g = d.launch(launcher, home, "gateway,orchestrator", gw);
        d.awaitPorts(g);
        for (String role : List.of("policy", "zygote")) {
          Member m = d.launch(launcher, home, role, List.of("node", "--role", role, "--cluster-name", cluster,
              "--cluster-port", String.valueOf(port + (role.equals("policy") ? 1 : 2)), "--join", join,
              "--config", configFile.toString()));
          awaitLine(m, JOINED);
        }
      }
      d.awaitReady();
      return d;
    } catch (IOException | InterruptedException | RuntimeException e) {
      d.close();
      throw e;
    }
  }

  /** The member that spawns sandboxes. */
  Member zygote() {
    return members.stream().filter(m -> m.roles().equals("embedded") || m.roles().equals("zygote")).findFirst().orElseThrow();
  }

  String gateway() {
    return "127.0.0.1:" + grpcPort;
  }

  /** GET of a path of the gateway's HTTP port; the body, or null when it cannot be read. */
  String http(String path) {
    try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build()) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      return r.body();
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private Member launch(Path launcher, Path home, String roles, List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(launcher.toString());
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    Map<String, String> env = pb.environment();
    env.put("PHANTOM_NO_BUILD", "1");
    env.put("PHANTOM_HOME", home.toString());
    // One zygote per state directory: each deployment (and each run of the suite) has its own.
    env.put("PHANTOM_STATE_DIR", home.resolve("state-" + members.size()).toString());
    Path log = home.resolve(roles.replace(',', '+') + ".log");
    Member m = new Member(roles, pb.start(), log);
    members.add(m);
    return m;
  }

  private void awaitPorts(Member m) throws InterruptedException {
    String line = awaitLine(m, GRPC);
    Matcher grpc = GRPC.matcher(line);
    Matcher http = HTTP.matcher(line);
    if (!grpc.find() || !http.find()) {
      throw new IllegalStateException(m.roles() + " printed no ports: " + line);
    }
    grpcPort = Integer.parseInt(grpc.group(1));
    httpPort = Integer.parseInt(http.group(1));
  }

  /** Copies the member's output to its log and returns the first line matching, failing if it exits first. */
  private static String awaitLine(Member m, Pattern pattern) throws InterruptedException {
    CompletableFuture<String> found = new CompletableFuture<>();
    Thread.ofPlatform().daemon().name("log-" + m.roles()).start(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(m.process().getInputStream(), StandardCharsets.UTF_8));
           PrintWriter out = new PrintWriter(Files.newBufferedWriter(m.log()), true)) {
        for (String line; (line = r.readLine()) != null; ) {
          out.println(line);
          if (pattern.matcher(line).find()) {
            found.complete(line);
          }
        }
      } catch (IOException ignored) {
        // the process ended
      }
      found.completeExceptionally(new IllegalStateException(m.roles() + " exited before printing " + pattern
          + "; see " + m.log()));
    });
    try {
      return found.get(START_LIMIT.toSeconds(), TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw (RuntimeException) e.getCause();
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException(m.roles() + " did not start in " + START_LIMIT.toSeconds() + " s; see " + m.log());
    }
  }

  /** /ready answers 200 once a zygote node's report says it can spawn. */
  private void awaitReady() throws InterruptedException {
    long deadline = System.nanoTime() + START_LIMIT.toNanos();
    while (System.nanoTime() < deadline) {
      String body = http("/ready");
      if (body != null && body.contains("\"ready\":true")) {
        return;
      }
      for (Member m : members) {
        if (!m.process().isAlive()) {
          throw new IllegalStateException(m.roles() + " exited; see " + m.log());
        }
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("no zygote node became ready in " + START_LIMIT.toSeconds() + " s: " + http("/ready"));
  }

  /** SIGTERM to every member (zygote first, so its sandboxes go with it), then SIGKILL after 30 s. */
  @Override
  public void close() {
    LIVE.remove(this);
    List<Member> order = new ArrayList<>(members);
    java.util.Collections.reverse(order);
    for (Member m : order) {
      m.process().destroy();
      try {
        if (!m.process().waitFor(30, TimeUnit.SECONDS)) {
          m.process().destroyForcibly();
        }
      } catch (InterruptedException e) {
        m.process().destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
