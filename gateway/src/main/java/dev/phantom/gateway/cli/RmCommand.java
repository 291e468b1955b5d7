package dev.phantom.gateway.cli;

import dev.phantom.api.v1.RemoveFilesRequest;
import dev.phantom.gateway.client.SandboxClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove files from a sandbox's /workspace.")
final class RmCommand extends SessionCommand {

  @Parameters(index = "0", paramLabel = "SANDBOX", description = "The sandbox id.")
  String sandbox;

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "PATH", description = "Paths, relative to /workspace.")
  List<String> paths;

  @Option(names = {"-r", "-R", "--recursive"}, description = "Remove directories and their contents.")
  boolean recursive;

  @Override
  int call(SandboxClient client) {
    await(client.removeFiles(RemoveFilesRequest.newBuilder()
        .setSandboxId(sandbox).addAllPaths(paths).setRecursive(recursive).build()));
    return 0;
  }
}
