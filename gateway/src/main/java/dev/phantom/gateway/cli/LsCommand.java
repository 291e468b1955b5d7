package dev.phantom.gateway.cli;

import dev.phantom.api.v1.FileInfo;
import dev.phantom.api.v1.ListFilesRequest;
import dev.phantom.gateway.client.SandboxClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "ls", mixinStandardHelpOptions = true,
    description = "List files in a sandbox's /workspace: mode, size, modified, path (directories end in /).")
final class LsCommand extends SessionCommand {

  @Parameters(index = "0", paramLabel = "SANDBOX", description = "The sandbox id.")
  String sandbox;

  @Parameters(index = "1", arity = "0..1", paramLabel = "PATH", description = "Directory, relative to /workspace (default: /workspace).")
  String path;

  @Option(names = {"-R", "--recursive"}, description = "List subdirectories too.")
  boolean recursive;

  @Option(names = "--json", description = "Print a JSON array of {path, type, size, mode, modifiedAt}.")
  boolean json;

  @Override
  int call(SandboxClient client) {
    ListFilesRequest.Builder request = ListFilesRequest.newBuilder().setSandboxId(sandbox).setRecursive(recursive);
    if (path != null) {
      request.setPath(path);
    }
    List<FileInfo> files = await(client.listFiles(request.build())).getFilesList();
    if (json) {
      JsonArray array = new JsonArray();
      for (FileInfo file : files) {
        array.add(new JsonObject().put("path", file.getPath()).put("type", type(file)).put("size", file.getSize())
            .put("mode", String.format("%04o", file.getMode() & 07777)).put("modifiedAt", instant(file.getModifiedAt())));
      }
      System.out.println(array.encode());
      return 0;
    }
    for (FileInfo file : files) {
      System.out.printf("%04o\t%d\t%s\t%s%s%n", file.getMode() & 07777, file.getSize(),
          String.valueOf(instant(file.getModifiedAt())), file.getPath(),
          file.getType() == dev.phantom.api.v1.FileType.FILE_TYPE_DIRECTORY ? "/" : "");
    }
    return 0;
  }

  private static String type(FileInfo file) {
    return switch (file.getType()) {
      case FILE_TYPE_REGULAR -> "file";
      case FILE_TYPE_DIRECTORY -> "directory";
      case FILE_TYPE_SYMLINK -> "symlink";
      default -> "other";
    };
  }
}
