package dev.phantom.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class GatewayConfigTest {

  @Test
  void defaultsAreLoopbackAndTheWellKnownPorts() {
    GatewayConfig config = GatewayConfig.from(new JsonObject());
    assertThat(config.host()).isEqualTo("127.0.0.1");
    assertThat(config.grpcPort()).isEqualTo(50051);
    assertThat(config.httpPort()).isEqualTo(8080);
    assertThat(config.allowHostWorkspaces()).isFalse();
    assertThat(config.apiKeys().isEmpty()).isTrue();
  }

  @Test
  void keysOrAnExplicitInsecureLocalAreRequired() {
    GatewayConfig plain = GatewayConfig.from(new JsonObject());
    assertThatThrownBy(() -> plain.requireKeysOrInsecureLocal(plain.apiKeys()))
        .hasMessageContaining("phantom keys create");
    GatewayConfig local = GatewayConfig.from(new JsonObject().put("insecureLocal", true));
    local.requireKeysOrInsecureLocal(local.apiKeys());
  }

  @Test
  void insecureLocalIsRefusedOnAnOpenAddress() {
    assertThatThrownBy(() -> GatewayConfig.from(new JsonObject().put("host", "0.0.0.0").put("insecureLocal", true)))
        .hasMessageContaining("insecureLocal");
    GatewayConfig withKey = GatewayConfig.from(new JsonObject().put("host", "0.0.0.0").put("apiKeys",
        new io.vertx.core.json.JsonArray().add(new JsonObject().put("name", "ci")
            .put("sha256", dev.phantom.gateway.core.ApiKeys.sha256Hex("k")))));
    assertThat(withKey.apiKeys().match("k")).map(dev.phantom.gateway.core.ApiKeys.ApiKey::name).contains("ci");
  }

  @Test
  void badKeysAreRefused() {
    assertThatThrownBy(() -> GatewayConfig.from(new JsonObject().put("apiKeys",
        new io.vertx.core.json.JsonArray().add(new JsonObject().put("name", "ci").put("sha256", "abc")))))
        .hasMessageContaining("64 hex digits");
  }

  @Test
  void everyProblemIsListedAtOnce() {
    JsonObject bad = new JsonObject().put("host", "").put("grpcPort", 70000).put("httpPort", "x")
        .put("spawnGraceMs", -1).put("allowHostWorkspaces", "yes");
    assertThatThrownBy(() -> GatewayConfig.from(bad))
        .hasMessageContainingAll("host", "grpcPort", "httpPort", "spawnGraceMs", "allowHostWorkspaces");
  }
}
