package dev.phantom.gateway.cli;

import dev.phantom.api.v1.Snapshot;
import dev.phantom.gateway.client.SandboxClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;

@Command(name = "snapshot", mixinStandardHelpOptions = true,
    description = {"Store a sandbox's /workspace in the fragment store and print the snapshot id;",
        "'phantom create --from-snapshot ID' starts sandboxes from it. With --delete, forget snapshots instead."})
final class SnapshotCommand extends SessionCommand {

  @Parameters(arity = "0..1", paramLabel = "SANDBOX", description = "The sandbox whose workspace to snapshot.")
  String sandbox;

  @Option(names = "--delete", paramLabel = "SNAPSHOT", arity = "1..*",
      description = "Forget these snapshots (sandboxes made from them keep running).")
  List<String> delete;

  @Option(names = "--json", description = "Print the snapshot's figures as JSON.")
  boolean json;

  @Override
  int call(SandboxClient client) {
    if ((sandbox == null) == (delete == null)) {
      throw new ParameterException(spec.commandLine(), "give either a SANDBOX or --delete SNAPSHOT...");
    }
    if (delete != null) {
      for (String id : delete) {
        await(client.deleteSnapshot(id));
      }
      return 0;
    }
    Snapshot snapshot;
    try (Progress progress = Progress.onStderr().ticking(() -> "snapshotting " + sandbox)) {
      snapshot = await(client.snapshotSandbox(sandbox));
    }
    for (String skipped : snapshot.getSkippedList()) {
      System.err.println("phantom: left out " + skipped);
    }
    System.out.println(!json ? snapshot.getSnapshotId() : new JsonObject()
        .put("snapshotId", snapshot.getSnapshotId())
        .put("files", snapshot.getFiles())
        .put("logicalBytes", snapshot.getLogicalBytes())
        .put("uploadedBytes", snapshot.getUploadedBytes())
        .put("newChunks", snapshot.getNewChunks())
        .put("reusedChunks", snapshot.getReusedChunks())
        .put("tookMs", snapshot.getTookMs())
        .put("skipped", new JsonArray(snapshot.getSkippedList())).encode());
    return 0;
  }
}
