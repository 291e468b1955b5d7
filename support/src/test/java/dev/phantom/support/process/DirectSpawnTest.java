package dev.phantom.support.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectSpawnTest {

  @Test
  void exitCodesSignalsAndStandardInputComeThrough(@TempDir Path dir) throws Exception {
    assertThat(DirectSpawn.run(List.of("true"), null)).isZero();
    assertThat(DirectSpawn.run(List.of("sh", "-c", "exit 7"), null)).isEqualTo(7);
    assertThat(DirectSpawn.run(List.of("sh", "-c", "kill -9 $$"), null)).isEqualTo(128 + 9);
    Path input = Files.writeString(dir.resolve("in"), "hello\n");
    assertThat(DirectSpawn.run(List.of("sh", "-c", "read x && [ \"$x\" = hello ]"), input)).isZero();
    // No input file: /dev/null, so a read ends at once.
    assertThat(DirectSpawn.run(List.of("sh", "-c", "read x"), null)).isEqualTo(1);
    // The caller's environment is passed on.
    assertThat(DirectSpawn.run(List.of("sh", "-c", "[ -n \"$PATH\" ]"), null)).isZero();
  }

  @Test
  void aMissingCommandIsAnError() {
    assertThatThrownBy(() -> DirectSpawn.run(List.of("phantom-no-such-command-here"), null))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot start phantom-no-such-command-here");
  }
}
