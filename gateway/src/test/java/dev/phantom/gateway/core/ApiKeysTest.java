package dev.phantom.gateway.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ApiKeysTest {

  private static final byte[] SALT = {1, 2, 3, 4};
  private final ApiKeys keys = new ApiKeys(List.of(
      ApiKeys.ApiKey.unsalted("ci", ApiKeys.digest(new byte[0], "secret-one")),
      new ApiKeys.ApiKey("agent", SALT, ApiKeys.digest(SALT, "secret-two"), 5, 2)));

  @Test
  void aConfiguredKeyIsKnownByName() {
    assertThat(keys.match("secret-one")).map(ApiKeys.ApiKey::name).contains("ci");
    assertThat(keys.match("secret-two")).map(ApiKeys.ApiKey::name).contains("agent");
  }

  @Test
  void theSaltMatters() {
    ApiKeys unsaltedCopy = new ApiKeys(List.of(ApiKeys.ApiKey.unsalted("agent", ApiKeys.digest(SALT, "secret-two"))));
    assertThat(unsaltedCopy.match("secret-two")).isEmpty();
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
