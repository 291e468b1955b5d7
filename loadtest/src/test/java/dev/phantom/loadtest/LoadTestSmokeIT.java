package dev.phantom.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A smoke test of the tool itself: the product runs as a separate process, a short bounded mixed
 * scenario runs against it at a low rate, and the test asserts only that requests succeeded and the
 * report files exist and parse. Never a timing.
 */
class LoadTestSmokeIT {

  @Test
  void aShortMixedRunSucceedsAndWritesItsReports() throws Exception {
    SandboxHost.assumeBubblewrap();
    Path target = Path.of("target").toAbsolutePath();
    Path home = target.resolve("phantom-home");
    Files.createDirectories(home);
    ProcessBuilder up = new ProcessBuilder("../phantom", "up", "--grpc-port", "0", "--http-port", "0", "--insecure-local")
        .redirectErrorStream(true);
    Map<String, String> env = up.environment();
    env.put("PHANTOM_NO_BUILD", "1");
    env.put("PHANTOM_HOME", home.toString());
    // Its own zygote state dir, so it runs beside a developer's own phantom up (one zygote per dir).
    env.put("PHANTOM_STATE_DIR", home.resolve("state").toString());
    Process mesh = up.start();
    try {
      CompletableFuture<String> port = new CompletableFuture<>();
      StringBuilder log = new StringBuilder();
      Thread reader = Thread.ofPlatform().daemon().start(() -> {
        Pattern grpc = Pattern.compile("gRPC 127\\.0\\.0\\.1:(\\d+)");
        try (BufferedReader r = new BufferedReader(new InputStreamReader(mesh.getInputStream(), StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; ) {
            synchronized (log) {
              log.append(line).append('\n');
            }
            Matcher m = grpc.matcher(line);
            if (m.find()) {
              port.complete(m.group(1));
            }
          }
        } catch (Exception ignored) {
          // the process ended
        }
        port.completeExceptionally(new IllegalStateException("the product exited before listening"));
      });
      String grpcPort;
      try {
        grpcPort = port.get(120, TimeUnit.SECONDS);
      } catch (Exception e) {
        synchronized (log) {
          throw new AssertionError("phantom up did not start:\n" + log, e);
        }
      }
      Path json = target.resolve("loadtest-smoke/result.json");
      Path html = target.resolve("loadtest-smoke/report.html");
      Files.deleteIfExists(json);
      Files.deleteIfExists(html);
      int exit = LoadTest.execute("--gateway", "127.0.0.1:" + grpcPort, "--quiet",
          "--mix", "run-true=3,python-hello=1,session-churn=1,exec-warm=2,files=1",
          "--rate", "4/s", "--duration", "15s", "--warmup", "2s", "--file-size", "8k",
          "--out", json.toString(), "--html", html.toString());
      assertEquals(0, exit, "every measured request should succeed");
      JsonObject result = new JsonObject(Files.readString(json));
      JsonObject overall = result.getJsonObject("overall");
      assertTrue(overall.getLong("ok") > 0, "some requests were measured");
      assertEquals(0L, overall.getLong("errors"));
      assertEquals(5, result.getJsonArray("scenarios").size());
      assertTrue(result.getJsonObject("machine").getInteger("cores") > 0);
      String page = Files.readString(html);
      assertTrue(page.startsWith("<!DOCTYPE html>") && page.contains("<svg") && page.trim().endsWith("</html>"));
      assertTrue(!page.contains("<script") && !page.contains("src=") && !page.contains("href="),
          "the report is self-contained");
      reader.interrupt();
    } finally {
      mesh.destroy();
      if (!mesh.waitFor(20, TimeUnit.SECONDS)) {
        mesh.destroyForcibly();
      }
    }
  }
}
