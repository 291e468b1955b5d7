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
 * @param stdoutBytes bytes the command wrote to stdout, kept and dropped
 * @param stderrBytes likewise for stderr
 * @param usage what the sandbox's cgroup measured ({@link ResourceUsage#NONE} without cgroups)
 * @param limits the limits the sandbox ran under
 * @param files collected workspace files, in request order
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
    String message,
    long stdoutBytes,
    long stderrBytes,
    ResourceUsage usage,
    ResourceLimits limits,
    java.util.List<WorkspaceFile> files) {

  public RunOutcome {
    usage = usage == null ? ResourceUsage.NONE : usage;
    limits = limits == null ? ResourceLimits.NONE : limits;
    files = files == null ? java.util.List.of() : java.util.List.copyOf(files);
  }

  /** Mirrors {@code phantom.v1.RunStatus}. */
  public enum Status {
    OK,
    TIMEOUT,
    KILLED,
    OOM_KILLED,
    FAILED_TO_START
  }
}
