package dev.phantom.zygote.core;

import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What bubblewrap wrote on {@code --json-status-fd}: {@code {"child-pid": N, ...}} once the sandbox's
 * first process exists, and {@code {"exit-code": N}} only when the command itself ran and ended.
 * bubblewrap 0.8 writes no exit-code document when it dies during setup (a bad mount, or execvp of a
 * missing command), which is how a setup failure is told from a command that exited 1.
 */
public record BwrapStatus(OptionalInt childPid, OptionalInt exitCode) {

  private static final Pattern CHILD_PID = Pattern.compile("\"child-pid\"\\s*:\\s*(\\d+)");
  private static final Pattern EXIT_CODE = Pattern.compile("\"exit-code\"\\s*:\\s*(\\d+)");
  /** A whole exit-code document: its number cannot be cut short by a read that ended in the middle. */
  private static final Pattern EXIT_DOCUMENT = Pattern.compile("\"exit-code\"\\s*:\\s*\\d+\\s*[,}]");

  public static final BwrapStatus NONE = new BwrapStatus(OptionalInt.empty(), OptionalInt.empty());

  /** Parses everything read from the status fd so far (documents are small, flat JSON objects). */
  public static BwrapStatus parse(String text) {
    return new BwrapStatus(find(CHILD_PID, text), find(EXIT_CODE, text));
  }

  /** True once {@code text} holds a complete exit-code document. */
  public static boolean exitReported(String text) {
    return EXIT_DOCUMENT.matcher(text).find();
  }

  private static OptionalInt find(Pattern pattern, String text) {
    Matcher m = pattern.matcher(text);
    return m.find() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty();
  }
}
