package dev.phantom.gateway.it;

import static dev.phantom.gateway.it.EmbeddedMesh.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.gateway.client.SandboxClient;
import dev.phantom.gateway.core.ApiKeys;
import dev.phantom.support.PhantomException;
import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.common.GrpcStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** API keys and rate limits, on gRPC and REST alike. */
class AccessIT {

  private static final String KEY = "pf_test_0c1d2e3f";
  private static final String THROTTLED_KEY = "pf_test_throttled";
  private static final String SINGLE_KEY = "pf_test_single_sandbox";
  private static EmbeddedMesh mesh;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    SandboxHost.assumeBubblewrap();
    mesh = EmbeddedMesh.start(new JsonObject().put("gateway", new JsonObject()
        .put("apiKeys", new JsonArray()
            .add(new JsonObject().put("name", "ci").put("sha256", ApiKeys.sha256Hex(KEY)))
            .add(new JsonObject().put("name", "throttled").put("sha256", ApiKeys.sha256Hex(THROTTLED_KEY)))
            .add(new JsonObject().put("name", "single").put("sha256", ApiKeys.sha256Hex(SINGLE_KEY))
                .put("maxSandboxes", 1).put("ratePerSecond", 1000)))
        // Slow enough that a test's burst outruns it on any machine.
        .put("rateLimitPerSecond", 1).put("rateLimitBurst", 3)));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void grpcCallsNeedAKnownKey() {
    assertThatThrownBy(() -> mesh.run(request("minimal", "true")))
        .isInstanceOfSatisfying(PhantomException.class, e -> {
          assertThat(e.status()).isEqualTo(GrpcStatus.UNAUTHENTICATED);
          assertThat(e.getMessage()).contains("API key");
        });
    assertThatThrownBy(() -> EmbeddedMesh.await(client("wrong").run(request("minimal", "true"))))
        .isInstanceOfSatisfying(PhantomException.class,
            e -> assertThat(e.status()).isEqualTo(GrpcStatus.UNAUTHENTICATED));

    assertThat(EmbeddedMesh.await(client(KEY).run(request("minimal", "echo", "in"))).getStdout().toStringUtf8())
        .isEqualTo("in\n");
  }

  @Test
  void restCallsNeedAKnownKeyButHealthDoesNot() throws Exception {
    HttpResponse<String> anonymous = send(HttpRequest.newBuilder(uri("/api/v2/profiles")));
    HttpResponse<String> withHeader = send(HttpRequest.newBuilder(uri("/api/v2/profiles")).header("x-api-key", KEY));
    HttpResponse<String> health = send(HttpRequest.newBuilder(uri("/health")));

    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("www-authenticate")).contains("Bearer");
    assertThat(withHeader.statusCode()).isEqualTo(200);
    assertThat(health.statusCode()).isEqualTo(200);
  }

  @Test
  void aCallerOverItsRateIsToldWhenToComeBack() throws Exception {
    SandboxClient throttled = client(THROTTLED_KEY);
    PhantomException refused = null;
    for (int i = 0; i < 10 && refused == null; i++) {
      try {
        EmbeddedMesh.await(throttled.listProfiles());
      } catch (PhantomException e) {
        refused = e;
      }
    }
    assertThat(refused).isNotNull();
    assertThat(refused.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
    assertThat(refused.getMessage()).contains("retry after");

    HttpResponse<String> rest = send(HttpRequest.newBuilder(uri("/api/v2/profiles"))
        .header("authorization", "Bearer " + THROTTLED_KEY));
    assertThat(rest.statusCode()).isEqualTo(429);
    assertThat(rest.headers().firstValue("retry-after")).isPresent();
    // Another caller has its own budget.
    assertThat(EmbeddedMesh.await(client(KEY).listProfiles()).getProfilesCount()).isPositive();
  }

  @Test
  void aKeyHoldsNoMoreSandboxesThanItsQuota() {
    SandboxClient single = client(SINGLE_KEY);
    var first = single.run(request("minimal", "sleep", "2"));
    assertThatThrownBy(() -> EmbeddedMesh.await(single.run(request("minimal", "true"))))
        .isInstanceOfSatisfying(PhantomException.class, e -> {
          assertThat(e.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
          assertThat(e.getMessage()).contains("single", "maximum");
        });
    EmbeddedMesh.await(first);
    // The slot is back once the first run ended.
    assertThat(EmbeddedMesh.await(single.run(request("minimal", "echo", "again"))).getStdout().toStringUtf8())
        .isEqualTo("again\n");
  }

  @Test
  void refusalsAreCounted() throws Exception {
    send(HttpRequest.newBuilder(uri("/api/v2/profiles")).header("x-api-key", "nope"));
    HttpResponse<String> metrics = send(HttpRequest.newBuilder(uri("/metrics")));

    assertThat(metrics.body()).contains("phantom_auth_failures_total{api=\"rest\"}",
        "phantom_api_requests_seconds_count{api=\"rest\",method=\"ListProfiles\",status=\"UNAUTHENTICATED\"}");
  }

  private static SandboxClient client(String key) {
    return new SandboxClient(mesh.node.mesh().vertx(), SocketAddress.inetSocketAddress(mesh.grpcPort, "127.0.0.1"), key);
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + mesh.httpPort + path);
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
