package dev.phantom.gateway.cli;

import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.gateway.client.SandboxClient;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "create", mixinStandardHelpOptions = true,
    description = {"Create a sandbox that stays up for exec, cp and ls; print its id.",
        "It is destroyed after --ttl without a call naming it, or by 'phantom destroy'."})
final class CreateCommand extends SessionCommand {

  @Option(names = "--profile", required = true, description = "Sandbox profile, e.g. minimal or python-dev.")
  String profile;

  @Option(names = "--ttl", paramLabel = "DURATION",
      description = "Destroyed after this long idle, e.g. 10m (default: the gateway's, 10m).")
  String ttl;

  @Option(names = "--max-lifetime", paramLabel = "DURATION",
      description = "Destroyed this long after creation whatever happens (default: the gateway's, 1h).")
  String maxLifetime;

  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label to find it by (repeatable).")
  Map<String, String> labels = new LinkedHashMap<>();

  @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "Environment for every exec in it.")
  Map<String, String> env = new LinkedHashMap<>();

  @Option(names = "--from-snapshot", paramLabel = "SNAPSHOT",
      description = "Start /workspace as this snapshot (from 'phantom snapshot'); its changes stay its own.")
  String fromSnapshot;

  @Option(names = "--json", description = "Print the sandbox as JSON.")
  boolean json;

  @Override
  int call(SandboxClient client) {
    CreateSandboxRequest.Builder request = CreateSandboxRequest.newBuilder()
        .setProfile(profile).putAllLabels(labels).putAllEnv(env);
    if (fromSnapshot != null) {
      request.setFromSnapshot(fromSnapshot);
    }
    if (ttl != null) {
      request.setIdleTimeout(proto(duration(ttl, "--ttl")));
    }
    if (maxLifetime != null) {
      request.setMaxLifetime(proto(duration(maxLifetime, "--max-lifetime")));
    }
    Sandbox sandbox;
    try (Progress progress = Progress.onStderr().ticking(() -> "creating a " + profile + " sandbox")) {
      sandbox = await(client.createSandbox(request.build()));
    }
    System.out.println(json ? json(sandbox).encode() : sandbox.getId());
    return 0;
  }
}
