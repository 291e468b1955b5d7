package dev.phantom.gateway.cli;

import dev.phantom.gateway.client.SandboxClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "destroy", mixinStandardHelpOptions = true, description = "Destroy sandboxes and everything in them.")
final class DestroyCommand extends SessionCommand {

  @Parameters(arity = "1..*", paramLabel = "SANDBOX", description = "Sandbox ids.")
  List<String> ids;

  @Override
  int call(SandboxClient client) {
    for (String id : ids) {
      await(client.destroySandbox(id));
    }
    return 0;
  }
}
