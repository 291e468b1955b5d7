package dev.phantom.zygote.core;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One line a session's agent reported. The agent runs inside the sandbox, whose code can write to the
 * same pipe: every line is untrusted, and only exact, small values are accepted. Pure.
 */
public sealed interface AgentEvent {

  /** The agent is up and reading commands. */
  record Ready() implements AgentEvent {}

  /** An exec's process started as process (and group) {@code pid}, inside the sandbox's pid namespace. */
  record Started(String execId, int pid) implements AgentEvent {}

  /** An exec's process ended; {@code status} as the shell reports it (128+N for signal N). */
  record Exited(String execId, int status) implements AgentEvent {}

  /** Longest line accepted; longer ones are dropped. */
  int MAX_LINE = 128;

  Pattern LINE = Pattern.compile("([pe]) ([A-Za-z0-9]{1,64}) ([0-9]{1,9})");

  /** The event on {@code line} (without its newline), or empty when it is not one. */
  static Optional<AgentEvent> parse(String line) {
    if (line.equals("r")) {
      return Optional.of(new Ready());
    }
    if (line.length() > MAX_LINE) {
      return Optional.empty();
    }
    Matcher m = LINE.matcher(line);
    if (!m.matches()) {
      return Optional.empty();
    }
    int value = Integer.parseInt(m.group(3));
    if (m.group(1).equals("p")) {
      return value > 1 ? Optional.of(new Started(m.group(2), value)) : Optional.empty();
    }
    return value <= 255 ? Optional.of(new Exited(m.group(2), value)) : Optional.empty();
  }
}
