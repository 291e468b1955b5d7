package dev.phantom.gateway.cli;

import dev.phantom.api.v1.ListSandboxesRequest;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.gateway.client.SandboxClient;
import io.vertx.core.json.JsonArray;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "list", aliases = "ps", mixinStandardHelpOptions = true,
    description = "List the sandboxes this key can see: id, profile, state, created, labels.")
final class ListCommand extends SessionCommand {

  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "Only sandboxes with this label (repeatable).")
  Map<String, String> labels = new LinkedHashMap<>();

  @Option(names = "--json", description = "Print a JSON array.")
  boolean json;

  @Override
  int call(SandboxClient client) {
    List<Sandbox> sandboxes = await(client.listSandboxes(
        ListSandboxesRequest.newBuilder().putAllLabels(labels).build())).getSandboxesList();
    if (json) {
      JsonArray array = new JsonArray();
      sandboxes.forEach(sandbox -> array.add(json(sandbox)));
      System.out.println(array.encode());
      return 0;
    }
    for (Sandbox sandbox : sandboxes) {
      System.out.printf("%s\t%s\t%s\t%s\t%s%n", sandbox.getId(), sandbox.getProfile(),
          sandbox.getState().name().replace("SANDBOX_STATE_", "").toLowerCase(),
          String.valueOf(instant(sandbox.getCreatedAt())), labels(sandbox.getLabelsMap()));
    }
    return 0;
  }
}
