package dev.phantom.zygote.bus;

import com.google.protobuf.ByteString;
import dev.phantom.api.v1.RunResult;
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
final class ProtoMapping {

  private ProtoMapping() {}

  static SandboxProfile profile(CompiledProfile p) {
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
        case KIND_WORKSPACE, KIND_UNSPECIFIED, UNRECOGNIZED -> throw PhantomException.internal(
            "compiled profile " + p.getName() + " has mount #" + i + " (" + m.getTarget() + ") of unknown kind "
                + m.getKindValue() + ": is this zygote older than the policy compiler?");
      });
    }
    return new SandboxProfile(p.getName(), p.getDigest(), p.getSeccompBpf().toByteArray(), mounts, p.getEnvMap(),
        p.getHostname(), p.getCwd(), p.getUid(), p.getGid(), new SandboxProfile.Limits(
            Integer.toUnsignedLong(p.getLimits().getDefaultTimeoutMs()),
            Integer.toUnsignedLong(p.getLimits().getMaxTimeoutMs()),
            p.getLimits().getMaxOutputBytes()));
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
    return new RunSpec(request.getRunId(), request.getArgvList(), request.getStdin().toByteArray(), request.getEnvMap(),
        Duration.ofMillis(timeoutMs), maxOutput);
  }

  static RunResult result(RunOutcome outcome, String nodeId, String digest, long queuedMicros) {
    RunResult.Builder result = RunResult.newBuilder()
        .setStatus(switch (outcome.status()) {
          case OK -> RunStatus.RUN_STATUS_OK;
          case TIMEOUT -> RunStatus.RUN_STATUS_TIMEOUT;
          case KILLED -> RunStatus.RUN_STATUS_KILLED;
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
        .setMessage(outcome.message());
    switch (outcome.termination()) {
      case Termination.Exited e -> result.setExitCode(e.code());
      case Termination.Signaled s -> result.setSignal(s.signal());
    }
    return result.build();
  }
}
