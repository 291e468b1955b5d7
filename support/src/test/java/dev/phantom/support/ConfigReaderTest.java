package dev.phantom.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.support.config.ConfigReader;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigReaderTest {

  @Test
  void absentKeysTakeTheirDefaults() {
    ConfigReader reader = new ConfigReader("demo", new JsonObject(), List.of("a", "b", "c", "d"));
    assertThat(reader.integer("a", 7, 0, 10)).isEqualTo(7);
    assertThat(reader.port("b", 8080)).isEqualTo(8080);
    assertThat(reader.string("c", "x")).isEqualTo("x");
    assertThat(reader.strings("d")).isEmpty();
    reader.validate();
  }

  @Test
  void presentValuesAreRead() {
    JsonObject json = new JsonObject().put("a", 3).put("b", 0).put("c", "y").put("d", new JsonArray().add("p"));
    ConfigReader reader = new ConfigReader("demo", json, List.of("a", "b", "c", "d"));
    assertThat(reader.integer("a", 7, 0, 10)).isEqualTo(3);
    assertThat(reader.port("b", 8080)).isZero();
    assertThat(reader.string("c", "x")).isEqualTo("y");
    assertThat(reader.strings("d")).containsExactly("p");
    reader.validate();
  }

  @Test
  void everyProblemIsListedAtOnce() {
    JsonObject json = new JsonObject().put("a", 11).put("b", "http").put("c", "").put("d", new JsonArray().add(1))
        .put("typo", true);
    ConfigReader reader = new ConfigReader("demo", json, List.of("a", "b", "c", "d"));
    reader.integer("a", 7, 0, 10);
    reader.port("b", 8080);
    reader.string("c", "x");
    reader.strings("d");
    assertThatThrownBy(reader::validate)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("invalid demo config: unknown key 'typo'")
        .hasMessageContainingAll("a must be in [0, 10], got 11", "b must be a whole number, got http",
            "c must be a non-empty string", "d[0] must be a non-empty string");
  }

  @Test
  void architecturesUseTheKernelsNames() {
    assertThat(HostArch.of("amd64")).isEqualTo("x86_64");
    assertThat(HostArch.of("aarch64")).isEqualTo("aarch64");
    assertThat(HostArch.of("riscv64")).isEqualTo("riscv64");
  }
}
