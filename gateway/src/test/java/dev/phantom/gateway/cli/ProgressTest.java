package dev.phantom.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProgressTest {

  private long now;
  private final ByteArrayOutputStream drawn = new ByteArrayOutputStream();

  private Progress progress() {
    return new Progress(new PrintStream(drawn, true, StandardCharsets.UTF_8), () -> now);
  }

  private void advance(long ms) {
    now += TimeUnit.MILLISECONDS.toNanos(ms);
  }

  private String drawn() {
    return drawn.toString(StandardCharsets.UTF_8);
  }

  @Test
  void quickOperationsDrawNothing() {
    try (Progress progress = progress()) {
      advance(Progress.DELAY_MS - 1);
      progress.update("copying 1 B");
    }
    assertThat(drawn()).isEmpty();
  }

  @Test
  void aLongOperationRedrawsOneLineAtMostEveryRedrawIntervalAndErasesItAtTheEnd() {
    try (Progress progress = progress()) {
      advance(Progress.DELAY_MS);
      progress.update("one");
      advance(Progress.REDRAW_MS / 2);
      progress.update("skipped");
      advance(Progress.REDRAW_MS);
      progress.update("two");
    }
    assertThat(drawn()).isEqualTo("\rone\033[K\rtwo\033[K\r\033[K").doesNotContain("\n");
  }

  @Test
  void itIsShownOnlyWhenStderrIsATerminalUnlessForced() {
    assertThat(Progress.enabled(Map.of(), "/dev/pts/3")).isTrue();
    assertThat(Progress.enabled(Map.of(), "/dev/tty1")).isTrue();
    assertThat(Progress.enabled(Map.of(), "pipe:[1234]")).isFalse();
    assertThat(Progress.enabled(Map.of(), "/tmp/log.txt")).isFalse();
    assertThat(Progress.enabled(Map.of(), null)).isFalse();
    assertThat(Progress.enabled(Map.of("TERM", "dumb"), "/dev/pts/3")).isFalse();
    assertThat(Progress.enabled(Map.of("PHANTOM_PROGRESS", "0"), "/dev/pts/3")).isFalse();
    assertThat(Progress.enabled(Map.of("PHANTOM_PROGRESS", "1"), "pipe:[1]")).isTrue();
  }

  @Test
  void sizesReadAsBinaryUnits() {
    assertThat(Progress.bytes(512)).isEqualTo("512 B");
    assertThat(Progress.bytes(1536)).isEqualTo("1.5 KiB");
    assertThat(Progress.bytes(3L << 30)).isEqualTo("3.0 GiB");
    assertThat(Progress.fraction(1 << 20, 4 << 20)).isEqualTo("1.0 MiB / 4.0 MiB (25%)");
    assertThat(Progress.fraction(7, 0)).isEqualTo("7 B");
  }
}
