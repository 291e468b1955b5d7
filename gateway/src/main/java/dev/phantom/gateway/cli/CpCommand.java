package dev.phantom.gateway.cli;

import com.google.protobuf.ByteString;
import dev.phantom.api.v1.ReadFileRequest;
import dev.phantom.api.v1.WorkspaceFile;
import dev.phantom.api.v1.WriteFilesRequest;
import dev.phantom.gateway.client.SandboxClient;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "cp", mixinStandardHelpOptions = true,
    description = {"Copy a file into or out of a sandbox.",
        "  phantom cp LOCAL SANDBOX:PATH     (PATH relative to /workspace; ending in / keeps the file's name)",
        "  phantom cp SANDBOX:PATH LOCAL     (LOCAL '-' writes to standard output)",
        "A local path that contains ':' can be written as ./name."})
final class CpCommand extends SessionCommand {

  @Parameters(index = "0", paramLabel = "SOURCE")
  String source;

  @Parameters(index = "1", paramLabel = "DEST")
  String destination;

  record Remote(String sandbox, String path) {
    /** {@code id:path}, where id has no '/'; anything else is a local path. */
    static Remote parse(String text) {
      int colon = text.indexOf(':');
      if (colon <= 0 || text.substring(0, colon).contains("/")) {
        return null;
      }
      return new Remote(text.substring(0, colon), text.substring(colon + 1));
    }
  }

  @Override
  int call(SandboxClient client) throws Exception {
    Remote from = Remote.parse(source);
    Remote to = Remote.parse(destination);
    if ((from == null) == (to == null)) {
      System.err.println("phantom: cp needs exactly one side written as SANDBOX:PATH");
      return PhantomCli.EXIT_USAGE;
    }
    return to != null ? upload(client, Path.of(source), to) : download(client, from, destination);
  }

  private int upload(SandboxClient client, Path local, Remote to) throws Exception {
    if (Files.isDirectory(local)) {
      System.err.println("phantom: " + local + " is a directory; cp copies single files (use tar and exec --stdin)");
      return PhantomCli.EXIT_USAGE;
    }
    if (!Files.isRegularFile(local)) {
      System.err.println("phantom: " + local + ": no such file");
      return PhantomCli.EXIT_USAGE;
    }
    String path = to.path().isEmpty() || to.path().endsWith("/") ? to.path() + local.getFileName() : to.path();
    int mode = 0;
    for (java.nio.file.attribute.PosixFilePermission permission : Files.getPosixFilePermissions(local)) {
      mode |= 1 << (8 - permission.ordinal());
    }
    WorkspaceFile file = WorkspaceFile.newBuilder().setPath(path)
        .setContent(ByteString.copyFrom(Files.readAllBytes(local))).setMode(mode).build();
    await(client.writeFiles(WriteFilesRequest.newBuilder().setSandboxId(to.sandbox()).addFiles(file).build()));
    return 0;
  }

  private int download(SandboxClient client, Remote from, String local) throws Exception {
    ByteString content = await(client.readFile(
        ReadFileRequest.newBuilder().setSandboxId(from.sandbox()).setPath(from.path()).build()));
    if (local.equals("-")) {
      System.out.write(content.toByteArray());
      System.out.flush();
      return 0;
    }
    Path target = Path.of(local);
    if (Files.isDirectory(target)) {
      target = target.resolve(Path.of(from.path()).getFileName().toString());
    }
    Files.write(target, content.toByteArray());
    return 0;
  }
}
