package dev.phantom.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A smoke test of the tool itself: the product runs as separate processes (one embedded JVM, or three
 * JVMs forming a Hazelcast cluster on loopback), every scenario runs against it in a short bounded
 * mix at a low rate, and the test asserts only that requests succeeded and the report files exist
 * and parse. Never a timing.
 */
class LoadTestSmokeIT {

  @ParameterizedTest
  @EnumSource(Deployment.Kind.class)
  void aShortMixOfEveryScenarioSucceedsAndWritesItsReports(Deployment.Kind kind) throws Exception {
    SandboxHost.assumeBubblewrap();
    Path target = Path.of("target").toAbsolutePath();
    Path home = target.resolve("smoke-" + kind.name().toLowerCase());
    try (Deployment mesh = Deployment.start(Path.of("../phantom").toAbsolutePath(), kind, home, new JsonObject(), true)) {
      Path json = home.resolve("result.json");
      Path html = home.resolve("report.html");
      Files.deleteIfExists(json);
      Files.deleteIfExists(html);
      int exit = LoadTest.execute("--gateway", mesh.gateway(), "--quiet",
          "--mix", "run-true=3,python-hello=1,session-churn=1,exec-warm=2,files=1",
          "--rate", "6/s", "--duration", "5s", "--warmup", "1s", "--file-size", "8k",
          "--out", json.toString(), "--html", html.toString());
      assertEquals(0, exit, "every measured request should succeed; see " + json);
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
    }
  }
}
