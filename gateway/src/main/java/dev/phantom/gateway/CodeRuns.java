package dev.phantom.gateway;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import dev.phantom.api.v1.Language;
import dev.phantom.api.v1.ListProfilesResponse;
import dev.phantom.api.v1.ProfileInfo;
import dev.phantom.api.v1.ResourceLimits;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.WorkspaceFile;
import dev.phantom.gateway.core.Languages;
import dev.phantom.proto.policy.v1.CompiledProfile;
import dev.phantom.proto.policy.v1.Limits;
import dev.phantom.proto.policy.v1.NetworkMode;
import dev.phantom.support.PhantomException;
import java.util.List;

/** RunCode in terms of Run, and profiles described for clients. */
final class CodeRuns {

  private CodeRuns() {}

  /** The program becomes /workspace/main.<ext>, run by the language's command from /workspace. */
  static RunRequest toRunRequest(RunCodeRequest code) {
    Languages.Language language = Languages.find(code.getLanguage()).orElseThrow(() -> PhantomException.invalidArgument(
        "unknown language '" + code.getLanguage() + "'; known languages: " + Languages.names()));
    if (code.getSource().isBlank()) {
      throw PhantomException.invalidArgument("source is empty");
    }
    RunRequest.Builder run = RunRequest.newBuilder()
        .setProfile(code.getProfile().isBlank() ? language.profile() : code.getProfile())
        .addAllArgv(language.command())
        .addAllArgv(code.getArgsList())
        .setStdin(code.getStdin())
        .putAllEnv(code.getEnvMap())
        .setLimits(code.getLimits())
        .addFiles(WorkspaceFile.newBuilder().setPath(language.fileName())
            .setContent(ByteString.copyFromUtf8(code.getSource())).setMode(0644))
        .addAllFiles(code.getFilesList())
        .addAllCollect(code.getCollectList());
    if (code.hasTimeout()) {
      run.setTimeout(code.getTimeout());
    }
    return run.build();
  }

  static ListProfilesResponse describe(List<CompiledProfile> profiles) {
    ListProfilesResponse.Builder response = ListProfilesResponse.newBuilder();
    for (CompiledProfile profile : profiles) {
      Limits limits = profile.getLimits();
      response.addProfiles(ProfileInfo.newBuilder()
          .setName(profile.getName())
          .setDescription(profile.getDescription())
          .setDefaultTimeout(millis(limits.getDefaultTimeoutMs()))
          .setMaxTimeout(millis(limits.getMaxTimeoutMs()))
          .setDefaultLimits(ResourceLimits.newBuilder().setMemoryBytes(limits.getDefaultMemoryBytes())
              .setPids(limits.getDefaultPids()).setCpuMillicores(limits.getDefaultCpuMillicores()))
          .setMaxLimits(ResourceLimits.newBuilder().setMemoryBytes(limits.getMaxMemoryBytes())
              .setPids(limits.getMaxPids()).setCpuMillicores(limits.getMaxCpuMillicores()))
          .setNetwork(profile.getNetwork() != NetworkMode.NETWORK_MODE_DISABLED
              && profile.getNetwork() != NetworkMode.NETWORK_MODE_UNSPECIFIED));
    }
    for (Languages.Language language : Languages.all()) {
      response.addLanguages(Language.newBuilder().setName(language.name()).setProfile(language.profile())
          .addAllCommand(language.command()));
    }
    return response.build();
  }

  private static Duration millis(long ms) {
    return Duration.newBuilder().setSeconds(ms / 1000).setNanos((int) (ms % 1000) * 1_000_000).build();
  }
}
