package dev.phantom.zygote.core;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One command to run in a fresh sandbox.
 *
 * @param runId unique per run; names it for cancellation and logs
 * @param argv command and arguments, non-empty
 * @param stdin bytes written to the command's standard input, then closed
 * @param env variables set on top of the profile's (sorted by name)
 * @param timeout wall-clock limit after which the whole sandbox is killed
 * @param maxOutputBytes bytes kept per stream; the rest is read and dropped
 */
public record RunSpec(
    String runId,
    List<String> argv,
    byte[] stdin,
    Map<String, String> env,
    Duration timeout,
    long maxOutputBytes) {

  public RunSpec {
    Objects.requireNonNull(runId, "runId");
    argv = List.copyOf(argv);
    stdin = stdin == null ? new byte[0] : stdin;
    env = Sorted.copy(env);
    Objects.requireNonNull(timeout, "timeout");
  }

  /** Convenience for tests and callers without env or stdin. */
  public static RunSpec of(String runId, List<String> argv, Duration timeout, long maxOutputBytes) {
    return new RunSpec(runId, argv, new byte[0], Map.of(), timeout, maxOutputBytes);
  }

}
