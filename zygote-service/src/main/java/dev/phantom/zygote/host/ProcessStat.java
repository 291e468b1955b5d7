package dev.phantom.zygote.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A process's name and state, from {@code /proc/PID/stat}.
 *
 * @param comm the command name (at most 15 bytes; it may hold spaces and parentheses)
 * @param state the state letter: R, S, D, T, t, Z, X ...
 */
public record ProcessStat(String comm, char state) {

  /** Empty when the process is gone (or its stat cannot be read or parsed). */
  public static Optional<ProcessStat> of(int pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
      // The name sits between the first '(' and the last ')', since it may hold either.
      int open = stat.indexOf('(');
      int close = stat.lastIndexOf(')');
      if (open < 0 || close < open || close + 2 >= stat.length()) {
        return Optional.empty();
      }
      return Optional.of(new ProcessStat(stat.substring(open + 1, close), stat.charAt(close + 2)));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Dead and not yet reaped. */
  public boolean zombie() {
    return state == 'Z';
  }

  /** Stopped by a signal or a tracer, or on its way out (zombie, dead). */
  public boolean stoppedOrExiting() {
    return state == 'T' || state == 't' || state == 'Z' || state == 'X';
  }
}
