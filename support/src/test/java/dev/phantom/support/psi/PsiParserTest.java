package dev.phantom.support.psi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PsiParserTest {

  @Test
  void readsBothLines() {
    var reading = PsiParser.parse("""
        some avg10=17.37 avg60=17.16 avg300=12.50 total=2039891552
        full avg10=1.25 avg60=0.00 avg300=0.00 total=76687
        """);
    assertThat(reading.some()).isEqualTo(new PsiParser.Line(17.37, 17.16, 12.50, 2039891552L));
    assertThat(reading.full()).contains(new PsiParser.Line(1.25, 0, 0, 76687));
    assertThat(reading.someAvg10()).isEqualTo(17.37);
    assertThat(reading.fullAvg10()).isEqualTo(1.25);
  }

  @Test
  void aCpuFileWithoutFullLineHasNoFullStall() {
    var reading = PsiParser.parse("some avg10=3.00 avg60=2.00 avg300=1.00 total=5\n");
    assertThat(reading.full()).isEmpty();
    assertThat(reading.someAvg10()).isEqualTo(3);
    assertThat(reading.fullAvg10()).isZero();
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        Arguments.of("", "no 'some' line"),
        Arguments.of("full avg10=0 avg60=0 avg300=0 total=0", "no 'some' line"),
        Arguments.of("half avg10=0 avg60=0 avg300=0 total=0", "line 1 'half avg10=0 avg60=0 avg300=0 total=0':"
            + " starts with neither 'some' nor 'full'"),
        Arguments.of("some avg10=0 avg60=0 total=0", "missing avg300"),
        Arguments.of("some avg10=x avg60=0 avg300=0 total=0", "is not a number"),
        Arguments.of("some avg10=0 avg60=0 avg300=0 total=0\nfull avg10", "line 2 'full avg10': 'avg10' is not key=value"),
        Arguments.of("some avg10=250.00 avg60=0 avg300=0 total=0", "avg10 is not a percentage: 250.0"),
        Arguments.of("some avg10=0 avg60=0 avg300=0 total=-", "is not a number"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("malformed")
  void malformedInputNamesTheLineAndTheProblem(String text, String message) {
    assertThatThrownBy(() -> PsiParser.parse(text))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
  }
}
