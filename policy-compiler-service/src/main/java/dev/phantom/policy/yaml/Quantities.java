package dev.phantom.policy.yaml;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Human-written sizes ({@code 64MiB}) and durations ({@code 10s}) in profiles. */
final class Quantities {

  private Quantities() {}

  private static final Pattern SIZE = Pattern.compile("(\\d{1,12})\\s*(B|KiB|MiB|GiB)?");
  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})\\s*(ms|s|m)");

  private static final Pattern MILLICORES = Pattern.compile("(\\d{1,7})m");
  private static final Pattern CORES = Pattern.compile("(\\d{1,4})(?:\\.(\\d{1,3}))?");

  static final String CPU_FORMAT = "millicores (1000m = one core) or cores (1, 0.5)";
  static final String SIZE_FORMAT = "a byte count or a number with B, KiB, MiB or GiB (e.g. 64MiB)";
  static final String DURATION_FORMAT = "a number with ms, s or m (e.g. 10s)";

  static Optional<Long> size(String text) {
    Matcher m = SIZE.matcher(text.strip());
    if (!m.matches()) {
      return Optional.empty();
    }
    long n = Long.parseLong(m.group(1));
    int shift = switch (m.group(2) == null ? "B" : m.group(2)) {
      case "KiB" -> 10;
      case "MiB" -> 20;
      case "GiB" -> 30;
      default -> 0;
    };
    return Optional.of(n << shift);
  }

  static Optional<Duration> duration(String text) {
    Matcher m = DURATION.matcher(text.strip());
    if (!m.matches()) {
      return Optional.empty();
    }
    long n = Long.parseLong(m.group(1));
    return Optional.of(switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      default -> Duration.ofMinutes(n);
    });
  }

  /** CPU in thousandths of a core: {@code 500m}, {@code 2}, {@code 0.5}. */
  static Optional<Long> millicores(String text) {
    String t = text.strip();
    Matcher m = MILLICORES.matcher(t);
    if (m.matches()) {
      return Optional.of(Long.parseLong(m.group(1)));
    }
    m = CORES.matcher(t);
    if (m.matches()) {
      String fraction = m.group(2) == null ? "0" : (m.group(2) + "00").substring(0, 3);
      return Optional.of(Long.parseLong(m.group(1)) * 1000 + Long.parseLong(fraction));
    }
    return Optional.empty();
  }
}
