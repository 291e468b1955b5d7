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
 * @param limits cgroup and rlimit limits, already resolved against the profile (0 = none)
 * @param files placed in the workspace before the command starts
 * @param collect workspace paths returned once every process of the sandbox is gone
 * @param hostWorkspace host directory bound at the workspace target instead of a fresh one; empty = fresh
 * @param workspaceBase a read-only host tree the fresh workspace starts as (an overlay's lower layer: a
 *     restored snapshot); empty = an empty workspace
 */
public record RunSpec(
    String runId,
    List<String> argv,
    byte[] stdin,
    Map<String, String> env,
    Duration timeout,
    long maxOutputBytes,
    ResourceLimits limits,
    List<WorkspaceFile> files,
    List<String> collect,
    String hostWorkspace,
    String workspaceBase) {

  public RunSpec {
    Objects.requireNonNull(runId, "runId");
    argv = List.copyOf(argv);
    stdin = stdin == null ? new byte[0] : stdin;
    env = Sorted.copy(env);
    Objects.requireNonNull(timeout, "timeout");
    limits = limits == null ? ResourceLimits.NONE : limits;
    files = files == null ? List.of() : List.copyOf(files);
    collect = collect == null ? List.of() : List.copyOf(collect);
    hostWorkspace = hostWorkspace == null ? "" : hostWorkspace;
    workspaceBase = workspaceBase == null ? "" : workspaceBase;
  }

  /** A run whose fresh workspace starts empty. */
  public RunSpec(String runId, List<String> argv, byte[] stdin, Map<String, String> env, Duration timeout,
      long maxOutputBytes, ResourceLimits limits, List<WorkspaceFile> files, List<String> collect,
      String hostWorkspace) {
    this(runId, argv, stdin, env, timeout, maxOutputBytes, limits, files, collect, hostWorkspace, "");
  }

  /** A run without limits, workspace files or collection. */
  public RunSpec(String runId, List<String> argv, byte[] stdin, Map<String, String> env, Duration timeout,
      long maxOutputBytes) {
    this(runId, argv, stdin, env, timeout, maxOutputBytes, ResourceLimits.NONE, List.of(), List.of(), "", "");
  }

  /** The same run with other limits. */
  public RunSpec withLimits(ResourceLimits newLimits) {
    return new RunSpec(runId, argv, stdin, env, timeout, maxOutputBytes, newLimits, files, collect, hostWorkspace,
        workspaceBase);
  }

  /** The same run with workspace files in and out. */
  public RunSpec withWorkspace(List<WorkspaceFile> newFiles, List<String> newCollect, String newHostWorkspace) {
    return new RunSpec(runId, argv, stdin, env, timeout, maxOutputBytes, limits, newFiles, newCollect, newHostWorkspace,
        workspaceBase);
  }

  /** Convenience for tests and callers without env or stdin. */
  public static RunSpec of(String runId, List<String> argv, Duration timeout, long maxOutputBytes) {
    return new RunSpec(runId, argv, new byte[0], Map.of(), timeout, maxOutputBytes);
  }

}
