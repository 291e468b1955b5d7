package dev.phantom.gateway.cli;

import dev.phantom.api.v1.ArchiveStart;
import dev.phantom.gateway.cli.CpCommand.Remote;
import dev.phantom.gateway.cli.CpCommand.RemoteType;
import dev.phantom.gateway.cli.tar.DirectoryPacker;
import dev.phantom.gateway.cli.tar.DirectoryPacker.Packed;
import dev.phantom.gateway.client.SandboxClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code phantom cp LOCAL SANDBOX:PATH}: the file or directory is packed into a temporary tar on the
 * host, then streamed with {@code UploadArchive}, which unpacks it inside the sandbox as the sandbox's
 * user, so links in it resolve there. One path for files and directories alike: streamed, with a
 * progress line, and with the file's permission bits.
 */
final class CopyIn {

  private final SandboxClient client;
  private final Progress progress;

  CopyIn(SandboxClient client, Progress progress) {
    this.client = client;
    this.progress = progress;
  }

  int copy(String sourceText, Remote to) throws Exception {
    Path source = Path.of(sourceText);
    if (!Files.exists(source)) {
      progress.fail(source + ": no such file or directory");
      return PhantomCli.EXIT_USAGE;
    }
    RemoteType existing = CpCommand.stat(client, to).type();
    boolean intoDirectory = existing == RemoteType.DIRECTORY || to.path().endsWith("/");
    Path tar = Files.createTempFile("phantom-cp-", ".tar");
    try {
      String directory;
      if (Files.isDirectory(source)) {
        if (existing == RemoteType.FILE || existing == RemoteType.SYMLINK) {
          progress.fail("cannot copy the directory " + source + " onto the file " + to);
          return PhantomCli.EXIT_USAGE;
        }
        boolean contentsOnly = sourceText.endsWith("/.") || sourceText.equals(".");
        Path real = source.toRealPath();
        directory = existing == RemoteType.DIRECTORY && !contentsOnly
            ? join(to.relative(), real.getFileName() == null ? "root" : real.getFileName().toString())
            : to.relative();
        Packed packed = DirectoryPacker.directory(real, tar,
            p -> progress.update("packing " + p.entries() + " entries, " + Progress.bytes(p.bytes())));
        if (!packed.skipped().isEmpty()) {
          progress.fail("skipped " + packed.skipped().size() + " sockets, fifos or devices, such as "
              + packed.skipped().getFirst());
        }
      } else if (!Files.isRegularFile(source)) {
        progress.fail(source + " is not a regular file or a directory");
        return PhantomCli.EXIT_USAGE;
      } else {
        String name = intoDirectory ? source.getFileName().toString() : to.name();
        directory = intoDirectory ? to.relative() : to.parent();
        DirectoryPacker.file(source, name, tar);
      }
      long size = Files.size(tar);
      SessionCommand.await(client.uploadArchive(
          ArchiveStart.newBuilder().setSandboxId(to.sandbox()).setPath(directory).build(), tar,
          sent -> progress.update("copying to " + to.sandbox() + ": " + Progress.fraction(sent, size))));
      return 0;
    } catch (IOException e) {
      progress.fail(e.getMessage());
      return PhantomCli.EXIT_USAGE;
    } finally {
      Files.deleteIfExists(tar);
    }
  }

  private static String join(String directory, String name) {
    return directory.isEmpty() ? name : directory + "/" + name;
  }
}
