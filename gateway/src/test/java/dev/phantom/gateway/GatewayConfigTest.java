package dev.phantom.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class GatewayConfigTest {

  @Test
  void defaultsAreLoopbackAndTheWellKnownPorts() {
    assertThat(GatewayConfig.from(new JsonObject()))
        .isEqualTo(new GatewayConfig("127.0.0.1", 50051, 8080, GatewayConfig.DEFAULT_SPAWN_GRACE_MS, false,
            GatewayConfig.DEFAULT_MAX_MESSAGE_BYTES));
  }

  @Test
  void everyProblemIsListedAtOnce() {
    JsonObject bad = new JsonObject().put("host", "").put("grpcPort", 70000).put("httpPort", "x")
        .put("spawnGraceMs", -1).put("allowHostWorkspaces", "yes");
    assertThatThrownBy(() -> GatewayConfig.from(bad))
        .hasMessageContainingAll("host", "grpcPort", "httpPort", "spawnGraceMs", "allowHostWorkspaces");
  }
}
