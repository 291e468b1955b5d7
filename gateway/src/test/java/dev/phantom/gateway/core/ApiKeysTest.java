package dev.phantom.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ApiKeysTest {

  private final ApiKeys keys = new ApiKeys(List.of(
      new ApiKeys.ApiKey("ci", ApiKeys.sha256("secret-one")),
      new ApiKeys.ApiKey("agent", ApiKeys.sha256("secret-two"))));

  @Test
  void aConfiguredKeyIsKnownByName() {
    assertThat(keys.match("secret-two")).contains("agent");
  }

  @Test
  void anythingElseIsNot() {
    assertThat(keys.match("secret-three")).isEmpty();
    assertThat(keys.match("")).isEmpty();
    assertThat(keys.match(null)).isEmpty();
  }

  @Test
  void theHexDigestIsWhatConfigsHold() {
    assertThat(ApiKeys.sha256Hex("abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }
}
