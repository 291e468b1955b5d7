package dev.phantom.support.psi;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Parses a pressure file ({@code /proc/pressure/cpu}, {@code memory}, {@code io}, or a cgroup's
 * {@code cpu.pressure}...): a "some" line and, on kernels since 5.13 for cpu and always for memory and
 * io, a "full" line, each {@code avg10=.. avg60=.. avg300=.. total=..}.
 */
public final class PsiParser {

  /** One line: stall percentages over 10, 60 and 300 seconds, and the total stall time in microseconds. */
  public record Line(double avg10, double avg60, double avg300, long totalMicros) {}

  /** A whole file; {@code full} is absent on kernels whose cpu file has no full line. */
  public record Reading(Line some, Optional<Line> full) {
    /** "some" avg10, percent. */
    public double someAvg10() {
      return some.avg10();
    }

    /** "full" avg10, percent; 0 when the file has no full line. */
    public double fullAvg10() {
      return full.map(Line::avg10).orElse(0.0);
    }
  }

  private PsiParser() {}

  /** @throws IllegalArgumentException naming the line that is not PSI */
  public static Reading parse(String text) {
    Line some = null;
    Line full = null;
    int number = 0;
    for (String raw : text.split("\n")) {
      number++;
      String line = raw.strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] words = line.split("\\s+");
      switch (words[0]) {
        case "some" -> some = line(words, number, line);
        case "full" -> full = line(words, number, line);
        default -> throw bad(number, line, "starts with neither 'some' nor 'full'");
      }
    }
    if (some == null) {
      throw new IllegalArgumentException("not a pressure file: no 'some' line in " + quote(text));
    }
    return new Reading(some, Optional.ofNullable(full));
  }

  private static Line line(String[] words, int number, String line) {
    Map<String, String> fields = new HashMap<>();
    for (int i = 1; i < words.length; i++) {
      int eq = words[i].indexOf('=');
      if (eq <= 0) {
        throw bad(number, line, "'" + words[i] + "' is not key=value");
      }
      fields.put(words[i].substring(0, eq), words[i].substring(eq + 1));
    }
    try {
      return new Line(percent(fields, "avg10"), percent(fields, "avg60"), percent(fields, "avg300"),
          Long.parseLong(required(fields, "total")));
    } catch (NumberFormatException e) {
      throw bad(number, line, "a value is not a number (" + e.getMessage() + ")");
    } catch (IllegalStateException e) {
      throw bad(number, line, e.getMessage());
    }
  }

  private static double percent(Map<String, String> fields, String key) {
    double value = Double.parseDouble(required(fields, key));
    if (!(value >= 0 && value <= 100)) {
      throw new IllegalStateException(key + " is not a percentage: " + value);
    }
    return value;
  }

  private static String required(Map<String, String> fields, String key) {
    String value = fields.get(key);
    if (value == null) {
      throw new IllegalStateException("missing " + key);
    }
    return value;
  }

  private static IllegalArgumentException bad(int number, String line, String why) {
    return new IllegalArgumentException("pressure line " + number + " " + quote(line) + ": " + why);
  }

  private static String quote(String s) {
    return "'" + (s.length() > 120 ? s.substring(0, 120) + "..." : s) + "'";
  }
}
