package dev.phantom.gateway;

import dev.phantom.api.v1.ResourceLimits;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.WorkspaceFile;
import dev.phantom.gateway.core.ResourceBounds;
import dev.phantom.gateway.core.TimeoutPolicy;
import dev.phantom.gateway.core.WorkspacePaths;
import dev.phantom.proto.policy.v1.CompiledProfile;
import dev.phantom.proto.policy.v1.Limits;
import dev.phantom.proto.zygote.v1.SpawnRequest;
import dev.phantom.support.PhantomException;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Turns a client's request and its compiled profile into what a zygote node runs: every limit
 * resolved within the profile's bounds, every workspace path checked. Anything out of bounds is
 * refused here with INVALID_ARGUMENT, before a node is involved.
 */
final class SpawnPlanner {

  private final boolean allowHostWorkspaces;

  SpawnPlanner(boolean allowHostWorkspaces) {
    this.allowHostWorkspaces = allowHostWorkspaces;
  }

  /** Checks that need no profile, so that a bad request costs no lookup. */
  static void checkShape(RunRequest request) {
    if (request.getProfile().isBlank()) {
      throw PhantomException.invalidArgument("profile is required");
    }
    if (request.getArgvCount() == 0 || request.getArgv(0).isEmpty()) {
      throw PhantomException.invalidArgument("argv must name a command to run");
    }
  }

  SpawnRequest plan(RunRequest request, CompiledProfile profile, String runId, String streamAddress) {
    try {
      return SpawnRequest.newBuilder()
          .setRunId(runId)
          .setProfile(profile.getName())
          .addAllArgv(request.getArgvList())
          .setStdin(request.getStdin())
          .putAllEnv(request.getEnvMap())
          .setTimeoutMs((int) Math.min(Integer.MAX_VALUE, timeoutMs(request, profile)))
          .setStreamAddress(streamAddress)
          .setLimits(limits(request.getLimits(), profile))
          .addAllFiles(request.getFilesList().stream().map(SpawnPlanner::checked).toList())
          .addAllCollect(request.getCollectList().stream().map(WorkspacePaths::relative).toList())
          .setHostWorkspace(hostWorkspace(request.getHostWorkspace()))
          .build();
    } catch (IllegalArgumentException e) {
      throw PhantomException.invalidArgument(e.getMessage());
    }
  }

  private static long timeoutMs(RunRequest request, CompiledProfile profile) {
    Optional<Duration> requested = request.hasTimeout()
        ? Optional.of(Duration.ofSeconds(request.getTimeout().getSeconds(), request.getTimeout().getNanos()))
        : Optional.empty();
    return TimeoutPolicy.resolve(requested, profile.getLimits().getDefaultTimeoutMs(),
        profile.getLimits().getMaxTimeoutMs(), profile.getName());
  }

  private static ResourceLimits limits(ResourceLimits requested, CompiledProfile profile) {
    Limits bounds = profile.getLimits();
    String name = profile.getName();
    return ResourceLimits.newBuilder()
        .setMemoryBytes(new ResourceBounds("limits.memory_bytes", "bytes",
            bounds.getDefaultMemoryBytes(), bounds.getMaxMemoryBytes()).resolve(requested.getMemoryBytes(), name))
        .setPids((int) new ResourceBounds("limits.pids", "processes",
            bounds.getDefaultPids(), bounds.getMaxPids()).resolve(Integer.toUnsignedLong(requested.getPids()), name))
        .setCpuMillicores((int) new ResourceBounds("limits.cpu_millicores", "millicores",
            bounds.getDefaultCpuMillicores(), bounds.getMaxCpuMillicores())
            .resolve(Integer.toUnsignedLong(requested.getCpuMillicores()), name))
        .build();
  }

  private static WorkspaceFile checked(WorkspaceFile file) {
    if (file.getMode() > 07777) {
      throw new IllegalArgumentException("mode of '" + file.getPath() + "' must be permission bits (at most 07777)");
    }
    return file.toBuilder().setPath(WorkspacePaths.relative(file.getPath())).clearError().build();
  }

  private String hostWorkspace(String path) {
    if (path.isEmpty()) {
      return "";
    }
    if (!allowHostWorkspaces) {
      throw new PhantomException(GrpcStatus.PERMISSION_DENIED,
          "this gateway does not bind host directories (host_workspace); it is allowed only where every client "
              + "may touch the host's files, e.g. the CLI's own embedded mesh");
    }
    if (!Path.of(path).isAbsolute() || !Path.of(path).normalize().toString().equals(path)) {
      throw new IllegalArgumentException("host_workspace must be an absolute, normalized path, got '" + path + "'");
    }
    return path;
  }
}
