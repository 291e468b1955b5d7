package dev.phantom.zygote.bus;

import com.google.protobuf.ByteString;
import dev.phantom.api.v1.ResourceLimits;
import dev.phantom.api.v1.ResourceUsage;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.WorkspaceFile;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.api.v1.Timings;
import dev.phantom.proto.policy.v1.CompiledProfile;
import dev.phantom.proto.zygote.v1.SpawnRequest;
import dev.phantom.support.PhantomException;
import dev.phantom.zygote.core.Mount;
import dev.phantom.zygote.core.RunOutcome;
import dev.phantom.zygote.core.RunSpec;
import dev.phantom.zygote.core.SandboxProfile;
import dev.phantom.zygote.core.Termination;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Wire messages to core values and back. */
public final class ProtoMapping {

  private ProtoMapping() {}

  public static SandboxProfile profile(CompiledProfile p) {
    List<Mount> mounts = new ArrayList<>();
    for (int i = 0; i < p.getMountsCount(); i++) {
      dev.phantom.proto.policy.v1.Mount m = p.getMounts(i);
      mounts.add(switch (m.getKind()) {
        case KIND_RO_BIND -> new Mount.ReadOnlyBind(m.getSource(), m.getTarget(), m.getOptional());
        case KIND_BIND -> new Mount.Bind(m.getSource(), m.getTarget(), m.getOptional());
        case KIND_TMPFS -> new Mount.Tmpfs(m.getTarget(), m.getSizeBytes());
        case KIND_PROC -> new Mount.Proc(m.getTarget());
        case KIND_DEV -> new Mount.Dev(m.getTarget());
        case KIND_SYMLINK -> new Mount.Symlink(m.getSource(), m.getTarget());
        case KIND_DIR -> new Mount.Dir(m.getTarget());
        case KIND_WORKSPACE -> new Mount.Workspace(m.getTarget(), m.getSizeBytes());
        case KIND_UNSPECIFIED, UNRECOGNIZED -> throw PhantomException.internal(
            "compiled profile " + p.getName() + " has mount #" + i + " (" + m.getTarget() + ") of unknown kind "
                + m.getKindValue() + ": is this zygote older than the policy compiler?");
      });
    }
    dev.phantom.proto.policy.v1.Limits l = p.getLimits();
    return new SandboxProfile(p.getName(), p.getDigest(), p.getSeccompBpf().toByteArray(), mounts, p.getEnvMap(),
        p.getHostname(), p.getCwd(), p.getUid(), p.getGid(), new SandboxProfile.Limits(
            Integer.toUnsignedLong(l.getDefaultTimeoutMs()),
            Integer.toUnsignedLong(l.getMaxTimeoutMs()),
            l.getMaxOutputBytes(),
            new dev.phantom.zygote.core.ResourceLimits(nonNegative(l.getDefaultMemoryBytes()), clampInt(l.getDefaultPids()),
                clampInt(l.getDefaultCpuMillicores()), nonNegative(l.getMaxFileSizeBytes()), clampInt(l.getMaxOpenFiles())),
            new dev.phantom.zygote.core.ResourceLimits(nonNegative(l.getMaxMemoryBytes()), clampInt(l.getMaxPids()),
                clampInt(l.getMaxCpuMillicores()), 0, 0)), p.getImage());
  }

  /** uint64 values above Long.MAX_VALUE mean "unlimited" in practice. */
  private static long nonNegative(long unsigned) {
    return unsigned < 0 ? Long.MAX_VALUE : unsigned;
  }

  private static int clampInt(int unsigned) {
    return unsigned < 0 ? Integer.MAX_VALUE : unsigned;
  }

  /**
   * The limits a run gets: the request's (resolved by the gateway), 0 → the profile's default; above the
   * profile's maximum is INVALID_ARGUMENT (the gateway should have refused it already). The rlimits are the
   * profile's.
   */
  public static dev.phantom.zygote.core.ResourceLimits limits(ResourceLimits requested, SandboxProfile profile) {
    dev.phantom.zygote.core.ResourceLimits d = profile.limits().defaults();
    dev.phantom.zygote.core.ResourceLimits max = profile.limits().maximums();
    long memory = requested.getMemoryBytes() != 0 ? nonNegative(requested.getMemoryBytes()) : d.memoryBytes();
    int pids = requested.getPids() != 0 ? clampInt(requested.getPids()) : d.pids();
    int cpu = requested.getCpuMillicores() != 0 ? clampInt(requested.getCpuMillicores()) : d.cpuMillicores();
    List<String> problems = new ArrayList<>();
    if (max.memoryBytes() > 0 && memory > max.memoryBytes()) {
      problems.add("memory " + memory + " bytes exceeds the maximum of " + max.memoryBytes());
    }
    if (max.pids() > 0 && pids > max.pids()) {
      problems.add("pids " + pids + " exceeds the maximum of " + max.pids());
    }
    if (max.cpuMillicores() > 0 && cpu > max.cpuMillicores()) {
      problems.add("cpu " + cpu + " millicores exceeds the maximum of " + max.cpuMillicores());
    }
    if (cpu > 0 && cpu < 10) {
      problems.add("cpu " + cpu + " millicores is below the smallest quota of 10");
    }
    if (!problems.isEmpty()) {
      throw PhantomException.invalidArgument("limits of profile " + profile.name() + ": " + String.join("; ", problems));
    }
    return new dev.phantom.zygote.core.ResourceLimits(memory, pids, cpu, d.maxFileSizeBytes(), d.maxOpenFiles());
  }

  /** Resolves the timeout (request, else profile default, else node default) and the output cap. */
  static RunSpec run(SpawnRequest request, SandboxProfile profile, long nodeDefaultTimeoutMs, long nodeMaxOutputBytes) {
    long requested = Integer.toUnsignedLong(request.getTimeoutMs());
    long timeoutMs = requested > 0 ? requested
        : profile.limits().defaultTimeoutMs() > 0 ? profile.limits().defaultTimeoutMs() : nodeDefaultTimeoutMs;
    long max = profile.limits().maxTimeoutMs();
    if (max > 0 && timeoutMs > max) {
      throw PhantomException.invalidArgument(
          "timeout " + timeoutMs + " ms exceeds the maximum of profile " + profile.name() + " (" + max + " ms)");
    }
    long maxOutput = profile.limits().maxOutputBytes() > 0 ? profile.limits().maxOutputBytes() : nodeMaxOutputBytes;
    List<dev.phantom.zygote.core.WorkspaceFile> files = request.getFilesList().stream()
        .map(f -> dev.phantom.zygote.core.WorkspaceFile.of(f.getPath(), f.getContent().toByteArray(), f.getMode()))
        .toList();
    return new RunSpec(request.getRunId(), request.getArgvList(), request.getStdin().toByteArray(), request.getEnvMap(),
        Duration.ofMillis(timeoutMs), maxOutput, limits(request.getLimits(), profile), files, request.getCollectList(),
        request.getHostWorkspace());
  }

  static RunResult result(RunOutcome outcome, String nodeId, String digest, long queuedMicros) {
    RunResult.Builder result = RunResult.newBuilder()
        .setStatus(switch (outcome.status()) {
          case OK -> RunStatus.RUN_STATUS_OK;
          case TIMEOUT -> RunStatus.RUN_STATUS_TIMEOUT;
          case KILLED -> RunStatus.RUN_STATUS_KILLED;
          case OOM_KILLED -> RunStatus.RUN_STATUS_OOM_KILLED;
          case FAILED_TO_START -> RunStatus.RUN_STATUS_FAILED_TO_START;
        })
        .setStdout(ByteString.copyFrom(outcome.stdout()))
        .setStderr(ByteString.copyFrom(outcome.stderr()))
        .setStdoutTruncated(outcome.stdoutTruncated())
        .setStderrTruncated(outcome.stderrTruncated())
        .setTimings(Timings.newBuilder()
            .setSpawnMicros(outcome.spawnMicros() < 0 ? 0 : queuedMicros + outcome.spawnMicros())
            .setWallMicros(outcome.wallMicros()))
        .setNodeId(nodeId)
        .setPolicyDigest(digest)
        .setMessage(outcome.message())
        .setStdoutBytes(outcome.stdoutBytes())
        .setStderrBytes(outcome.stderrBytes())
        .setUsage(ResourceUsage.newBuilder()
            .setCpuUserMicros(outcome.usage().cpuUserMicros())
            .setCpuSystemMicros(outcome.usage().cpuSystemMicros())
            .setPeakMemoryBytes(outcome.usage().peakMemoryBytes()))
        .setLimits(ResourceLimits.newBuilder()
            .setMemoryBytes(outcome.limits().memoryBytes())
            .setPids(outcome.limits().pids())
            .setCpuMillicores(outcome.limits().cpuMillicores()));
    for (dev.phantom.zygote.core.WorkspaceFile f : outcome.files()) {
      result.addFiles(WorkspaceFile.newBuilder().setPath(f.path()).setContent(ByteString.copyFrom(f.content()))
          .setMode(f.mode()).setError(f.error()));
    }
    switch (outcome.termination()) {
      case Termination.Exited e -> result.setExitCode(e.code());
      case Termination.Signaled s -> result.setSignal(s.signal());
    }
    return result.build();
  }
}
