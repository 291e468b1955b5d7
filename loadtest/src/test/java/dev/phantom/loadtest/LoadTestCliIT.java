package dev.phantom.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code ./phantom loadtest} as a user runs it, one process per call: bad input is one line and exit
 * code 2, and Ctrl-C (SIGINT) in the middle of a run still writes the report, marked partial.
 */
class LoadTestCliIT {

  private static final Path TARGET = Path.of("target").toAbsolutePath();
  private static final Path HOME = TARGET.resolve("loadtest-cli-home");

  private static Deployment mesh;
  private static String key;

  @BeforeAll
  static void startGatewayWithAKey() throws Exception {
    SandboxHost.assumeBubblewrap();
    Files.createDirectories(HOME);
    Files.deleteIfExists(HOME.resolve("keys.json"));
    Outcome created = phantom(List.of("keys", "create", "--name", "loadtest-it"), Map.of());
    assertEquals(0, created.exit, created.stderr);
    key = created.stdout.trim();
    mesh = Deployment.start(Path.of("../phantom").toAbsolutePath(), Deployment.Kind.EMBEDDED, HOME, new JsonObject(), false);
  }

  @AfterAll
  static void stop() throws Exception {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void badInputIsOneLineAndExitCodeTwo() throws Exception {
    String gateway = "127.0.0.1:" + mesh.grpcPort;
    List<List<String>> cases = List.of(
        List.of("--gateway", gateway, "--rate", "0/s"),
        List.of("--gateway", gateway, "--rate", "fast"),
        List.of("--gateway", gateway, "--rate", "5/s", "--concurrency", "2"),
        List.of("--gateway", gateway, "--duration", "-3s"),
        List.of("--gateway", gateway, "--duration", "0s"),
        List.of("--gateway", gateway, "--warmup", "soon"),
        List.of("--gateway", gateway, "--concurrency", "0"),
        List.of("--gateway", gateway, "--concurrency", "many"),
        List.of("--gateway", gateway, "--mix", "run-true=2,fork-bomb=1"),
        List.of("--gateway", "no-port-here"),
        List.of("--gateway", gateway, "--no-such-option"),
        List.of("--scenario", "run-true"));
    for (List<String> args : cases) {
      Outcome o = loadtest(args, Map.of("PHANTOM_API_KEY", key));
      assertOneLineUsageError(o, String.join(" ", args));
    }
  }

  @Test
  void anUnreachableGatewayIsOneLine() throws Exception {
    Outcome o = loadtest(List.of("--gateway", "127.0.0.1:" + closedPort(), "--requests", "5"), Map.of());
    assertOneLineUsageError(o, "unreachable gateway");
    assertTrue(o.stderr.contains("cannot reach the gateway"), o.stderr);
  }

  @Test
  void aRefusedKeyIsOneLine() throws Exception {
    Outcome o = loadtest(List.of("--gateway", "127.0.0.1:" + mesh.grpcPort, "--requests", "5"),
        Map.of("PHANTOM_API_KEY", "pf_not-a-key"));
    assertOneLineUsageError(o, "bad key");
    assertTrue(o.stderr.contains("refused the API key"), o.stderr);
  }

  @Test
  void ctrlCWritesThePartialReport() throws Exception {
    // A shell without job control starts background commands with SIGINT ignored, and the load generator
    // inherits that through this JVM: there Ctrl-C cannot reach it at all, which is not what is tested.
    org.junit.jupiter.api.Assumptions.assumeFalse(sigintIgnored(), "SIGINT is ignored in this process tree");
    Path json = TARGET.resolve("loadtest-cli/partial.json");
    Path html = TARGET.resolve("loadtest-cli/partial.html");
    Files.deleteIfExists(json);
    Files.deleteIfExists(html);
    Path log = Files.createTempFile(TARGET, "loadtest-sigint", ".log");
    // A run far longer than the test; SIGINT comes once requests have been measured.
    ProcessBuilder pb = launcher(List.of("loadtest", "--gateway", "127.0.0.1:" + mesh.grpcPort,
        "--scenario", "run-true", "--rate", "4/s", "--duration", "10m", "--warmup", "0",
        "--out", json.toString(), "--html", html.toString()), Map.of("PHANTOM_API_KEY", key))
        .redirectErrorStream(true).redirectOutput(log.toFile());
    Process run = pb.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.readString(log).matches("(?s).*measured +ok [1-9].*")) {
        assertTrue(run.isAlive(), "the run ended early:\n" + Files.readString(log));
        assertTrue(System.nanoTime() < deadline, "no measured request in 60 s:\n" + Files.readString(log));
        Thread.sleep(200);
      }
      // The launcher execs the JVM, so this pid is the load generator itself.
      assertEquals(0, new ProcessBuilder("kill", "-INT", Long.toString(run.pid())).start().waitFor());
      assertTrue(run.waitFor(40, TimeUnit.SECONDS), "still running 40 s after SIGINT:\n" + Files.readString(log));
      assertEquals(130, run.exitValue(), "ended by SIGINT, as a shell reports it");
    } finally {
      run.destroyForcibly();
    }
    String output = Files.readString(log);
    assertTrue(Files.exists(json), "no JSON after SIGINT:\n" + output);
    JsonObject result = new JsonObject(Files.readString(json));
    assertTrue(result.getBoolean("partial"), "marked partial");
    assertTrue(result.getJsonObject("overall").getLong("ok") > 0, "what was measured is kept");
    String page = Files.readString(html);
    assertTrue(page.contains("partial result") && page.trim().endsWith("</html>"), "the HTML is whole and marked partial");
    assertTrue(output.contains("the result is partial"), output);
    assertFalse(output.contains("Exception"), output);
  }

  /** SIGINT (bit 1 of SigIgn) ignored by this JVM, and so by every process it starts. */
  static boolean sigintIgnored() throws IOException {
    String mask = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("SigIgn:"))
        .map(l -> l.substring(7).strip()).findFirst().orElse("0");
    return (Long.parseUnsignedLong(mask, 16) & 2) != 0;
  }

  private static void assertOneLineUsageError(Outcome o, String what) {
    assertEquals(2, o.exit, what + ": exit code; stderr: " + o.stderr);
    List<String> lines = o.stderr.lines().filter(l -> !l.isBlank()).toList();
    assertEquals(1, lines.size(), what + ": one line on stderr, got:\n" + o.stderr);
    assertTrue(lines.get(0).startsWith("phantom loadtest: "), what + ": " + lines.get(0));
    assertFalse(o.stderr.contains("Exception") || o.stderr.contains("\tat "), what + ": no stack trace: " + o.stderr);
  }

  private record Outcome(int exit, String stdout, String stderr) {}

  private static Outcome loadtest(List<String> args, Map<String, String> env) throws Exception {
    List<String> all = new ArrayList<>();
    all.add("loadtest");
    all.addAll(args);
    return phantom(all, env);
  }

  private static Outcome phantom(List<String> args, Map<String, String> env) throws Exception {
    Path out = Files.createTempFile(TARGET, "phantom", ".out");
    Path err = Files.createTempFile(TARGET, "phantom", ".err");
    try {
      Process p = launcher(args, env).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("phantom " + args + " did not end in 60 s");
      }
      return new Outcome(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private static ProcessBuilder launcher(List<String> args, Map<String, String> env) {
    List<String> command = new ArrayList<>();
    command.add("../phantom");
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().remove("PHANTOM_GATEWAY");
    pb.environment().remove("PHANTOM_API_KEY");
    pb.environment().put("PHANTOM_NO_BUILD", "1");
    pb.environment().put("PHANTOM_HOME", HOME.toString());
    pb.environment().putAll(env);
    return pb;
  }

  private static int closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
