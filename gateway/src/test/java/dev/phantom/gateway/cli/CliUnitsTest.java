package dev.phantom.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CliUnitsTest {

  private final CommandSpec spec = new CommandLine(new RunCommand()).getCommandSpec();

  @ParameterizedTest
  @CsvSource({"4096, 4096", "64k, 65536", "256MiB, 268435456", "1GiB, 1073741824", "2G, 2147483648", "512mb, 536870912"})
  void sizes(String text, long bytes) {
    assertThat(CliUnits.bytes(text, "--memory", spec)).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "lots", "-5M", "0", "1.5G"})
  void badSizesAreUsageErrors(String text) {
    assertThatThrownBy(() -> CliUnits.bytes(text, "--memory", spec))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--memory");
  }

  @ParameterizedTest
  @CsvSource({"1, 1000", "0.5, 500", "500m, 500", "2, 2000"})
  void cores(String text, int millicores) {
    assertThat(CliUnits.millicores(text, spec)).isEqualTo(millicores);
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "-1", "fast", "5000"})
  void badCoresAreUsageErrors(String text) {
    assertThatThrownBy(() -> CliUnits.millicores(text, spec)).hasMessageContaining("--cpu");
  }
}
