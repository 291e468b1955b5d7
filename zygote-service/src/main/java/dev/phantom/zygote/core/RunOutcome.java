package dev.phantom.zygote.core;

/**
 * The result of one run, before it is mapped to the wire.
 *
 * @param termination how the command (or bubblewrap) ended; the command's own death by signal N shows as
 *     exit code 128+N, the way bubblewrap propagates it; {@link Termination.Signaled} means bubblewrap
 *     itself was killed (by the zygote)
 * @param stdout kept standard output (empty when it was streamed)
 * @param spawnMicros from the spawn call to the sandbox's first process existing; -1 when it never did
 * @param wallMicros from the spawn call to bubblewrap's exit
 * @param message a reason for people when the status is not OK
 */
public record RunOutcome(
    Status status,
    Termination termination,
    byte[] stdout,
    byte[] stderr,
    boolean stdoutTruncated,
    boolean stderrTruncated,
    long spawnMicros,
    long wallMicros,
    String message) {

  /** Mirrors {@code phantom.v1.RunStatus} minus OOM, which needs cgroups (a later issue). */
  public enum Status {
    OK,
    TIMEOUT,
    KILLED,
    FAILED_TO_START
  }
}
