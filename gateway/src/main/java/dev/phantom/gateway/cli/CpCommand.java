package dev.phantom.gateway.cli;

import dev.phantom.api.v1.FileInfo;
import dev.phantom.api.v1.FileType;
import dev.phantom.api.v1.ListFilesRequest;
import dev.phantom.gateway.cli.tar.ArchiveLimits;
import dev.phantom.gateway.client.SandboxClient;
import dev.phantom.gateway.core.WorkspacePaths;
import dev.phantom.support.PhantomException;
import io.vertx.grpc.common.GrpcStatus;
import java.util.List;
import java.util.concurrent.CompletionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "cp", mixinStandardHelpOptions = true,
    description = {"Copy files or directories into or out of a sandbox, as 'docker cp' does.",
        "  phantom cp LOCAL SANDBOX:PATH     (PATH relative to /workspace; empty is /workspace)",
        "  phantom cp SANDBOX:PATH LOCAL     (LOCAL '-' writes a file's bytes, or a directory as a tar, to stdout)",
        "A file goes into PATH if it is a directory (or ends in /), else becomes PATH. A directory is copied",
        "as PATH if PATH does not exist, else into it under its own name; SRC ending in /. copies its contents.",
        "Archives from a sandbox are checked before anything is written: no absolute or '..' names, no links",
        "pointing outside the destination, no devices or fifos, at most --max-size in all.",
        "A local path that contains ':' can be written as ./name."})
final class CpCommand extends SessionCommand {

  @Parameters(index = "0", paramLabel = "SOURCE")
  String source;

  @Parameters(index = "1", paramLabel = "DEST")
  String destination;

  @Option(names = "--max-size", paramLabel = "SIZE", defaultValue = "1GiB",
      description = "Refuse to copy out more than this from a sandbox (default: ${DEFAULT-VALUE}).")
  String maxSize;

  record Remote(String sandbox, String path) {
    /** {@code id:path}, where id has no '/'; anything else is a local path. */
    static Remote parse(String text) {
      int colon = text.indexOf(':');
      if (colon <= 0 || text.substring(0, colon).contains("/")) {
        return null;
      }
      return new Remote(text.substring(0, colon), text.substring(colon + 1));
    }

    /**
     * The path below /workspace, normalized; empty for /workspace itself. The gateway judges it again.
     *
     * @throws IllegalArgumentException when it leaves /workspace
     */
    String relative() {
      String rest = path;
      if (rest.startsWith("/")) {
        if (!(rest.equals(WorkspacePaths.ROOT) || rest.startsWith(WorkspacePaths.ROOT + "/"))) {
          throw new IllegalArgumentException("path '" + path + "' is outside " + WorkspacePaths.ROOT);
        }
        rest = rest.substring(WorkspacePaths.ROOT.length());
      }
      java.util.Deque<String> parts = new java.util.ArrayDeque<>();
      for (String part : rest.split("/")) {
        if (part.equals("..")) {
          if (parts.pollLast() == null) {
            throw new IllegalArgumentException("path '" + path + "' leaves " + WorkspacePaths.ROOT);
          }
        } else if (!part.isEmpty() && !part.equals(".")) {
          parts.addLast(part);
        }
      }
      return String.join("/", parts);
    }

    /** {@code SRC/.}: the directory's contents rather than the directory. */
    boolean contentsOnly() {
      return path.endsWith("/.") || path.equals(".");
    }

    String name() {
      String relative = relative();
      return relative.isEmpty() ? "workspace" : relative.substring(relative.lastIndexOf('/') + 1);
    }

    String parent() {
      String relative = relative();
      int slash = relative.lastIndexOf('/');
      return slash < 0 ? "" : relative.substring(0, slash);
    }

    @Override
    public String toString() {
      return sandbox + ":" + path;
    }
  }

  /** What a sandbox path is, links not followed. */
  enum RemoteType { ABSENT, DIRECTORY, FILE, SYMLINK }

  /** A sandbox path's type and permission bits. */
  record RemoteEntry(RemoteType type, int mode) {}

  @Override
  int call(SandboxClient client) throws Exception {
    Remote from = Remote.parse(source);
    Remote to = Remote.parse(destination);
    if ((from == null) == (to == null)) {
      System.err.println("phantom: cp needs exactly one side written as SANDBOX:PATH");
      return PhantomCli.EXIT_USAGE;
    }
    ArchiveLimits limits = new ArchiveLimits(CliUnits.bytes(maxSize, "--max-size", spec), ArchiveLimits.DEFAULT_MAX_ENTRIES);
    try {
      (to != null ? to : from).relative();
    } catch (IllegalArgumentException e) {
      System.err.println("phantom: " + e.getMessage());
      return PhantomCli.EXIT_USAGE;
    }
    try (Progress progress = Progress.onStderr()) {
      return to != null
          ? new CopyIn(client, progress).copy(source, to)
          : new CopyOut(client, progress, limits).copy(from, destination);
    }
  }

  /** Looks the path up in its parent's listing; /workspace itself is a directory. */
  static RemoteEntry stat(SandboxClient client, Remote remote) {
    String relative = remote.relative();
    if (relative.isEmpty()) {
      return new RemoteEntry(RemoteType.DIRECTORY, 0755);
    }
    List<FileInfo> files;
    try {
      files = await(client.listFiles(ListFilesRequest.newBuilder().setSandboxId(remote.sandbox())
          .setPath(remote.parent()).build())).getFilesList();
    } catch (CompletionException e) {
      if (e.getCause() instanceof PhantomException p
          && (p.status() == GrpcStatus.NOT_FOUND && p.getMessage().contains("no such directory")
              || p.status() == GrpcStatus.INVALID_ARGUMENT && p.getMessage().contains("not a directory"))) {
        return new RemoteEntry(RemoteType.ABSENT, 0);
      }
      throw e;
    }
    String name = remote.name();
    for (FileInfo file : files) {
      String path = file.getPath();
      if (path.substring(path.lastIndexOf('/') + 1).equals(name)) {
        return new RemoteEntry(file.getType() == FileType.FILE_TYPE_DIRECTORY ? RemoteType.DIRECTORY
            : file.getType() == FileType.FILE_TYPE_SYMLINK ? RemoteType.SYMLINK : RemoteType.FILE, file.getMode() & 0777);
      }
    }
    return new RemoteEntry(RemoteType.ABSENT, 0);
  }
}
