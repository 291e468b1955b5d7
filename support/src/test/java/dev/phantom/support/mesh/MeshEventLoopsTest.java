package dev.phantom.support.mesh;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How many event loops a node gets from -Dphantom.eventLoops; no Vert.x is started. */
class MeshEventLoopsTest {

  @AfterEach
  void clear() {
    System.clearProperty("phantom.eventLoops");
  }

  @ParameterizedTest(name = "''{0}'' on 3 cores -> {1}")
  @CsvSource({"1, 1", "8, 8", "0, 6", "-2, 6", "many, 6", "' ', 6"})
  void aPositiveNumberWinsAnythingElseIsVertxsDefault(String value, int expected) {
    System.setProperty("phantom.eventLoops", value);
    assertThat(Mesh.eventLoops(3)).isEqualTo(expected);
  }
}
