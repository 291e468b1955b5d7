package dev.phantom.gateway.cli;

import dev.phantom.api.v1.DownloadArchiveRequest;
import dev.phantom.api.v1.ReadFileRequest;
import dev.phantom.gateway.cli.CpCommand.Remote;
import dev.phantom.gateway.cli.CpCommand.RemoteType;
import dev.phantom.gateway.cli.tar.ArchiveException;
import dev.phantom.gateway.cli.tar.ArchiveLimits;
import dev.phantom.gateway.cli.tar.SafeExtractor;
import dev.phantom.gateway.client.SandboxClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * {@code phantom cp SANDBOX:PATH LOCAL}. What arrives is written to a temporary file first and used only
 * once the call ended well, so a failed copy leaves no half-written file behind. A file is then renamed
 * into place; a directory's tar is unpacked by {@link SafeExtractor}, which trusts none of it.
 */
final class CopyOut {

  private final SandboxClient client;
  private final Progress progress;
  private final ArchiveLimits limits;

  CopyOut(SandboxClient client, Progress progress, ArchiveLimits limits) {
    this.client = client;
    this.progress = progress;
    this.limits = limits;
  }

  int copy(Remote from, String local) throws Exception {
    CpCommand.RemoteEntry entry = CpCommand.stat(client, from);
    if (entry.type() == RemoteType.ABSENT) {
      progress.fail(from + ": no such file or directory");
      return PhantomCli.EXIT_PHANTOM_ERROR;
    }
    return entry.type() == RemoteType.DIRECTORY ? directory(from, local) : file(from, local, entry.mode());
  }

  /** @param mode the file's permission bits in the sandbox (0 when it is a link: the default then) */
  private int file(Remote from, String local, int mode) throws Exception {
    Path target = local.equals("-") ? null : Path.of(local);
    if (target != null && Files.isDirectory(target)) {
      target = target.resolve(from.name());
    } else if (target != null && local.endsWith("/")) {
      progress.fail(local + ": no such directory");
      return PhantomCli.EXIT_USAGE;
    }
    Path parent = target == null ? Path.of(System.getProperty("java.io.tmpdir")) : target.toAbsolutePath().getParent();
    if (!Files.isDirectory(parent)) {
      progress.fail(parent + ": no such directory");
      return PhantomCli.EXIT_USAGE;
    }
    // Beside the target, so that the last step is an atomic rename that replaces a link, never follows it.
    Path part = Files.createTempFile(parent, ".phantom-cp-", ".part");
    try {
      SessionCommand.await(client.readFile(ReadFileRequest.newBuilder().setSandboxId(from.sandbox()).setPath(from.relative()).build(),
          part, limits.maxBytes(), n -> progress.update("copying from " + from.sandbox() + ": " + Progress.bytes(n))));
      progress.close();
      if (target == null) {
        toStdout(part);
      } else {
        Files.setPosixFilePermissions(part, SafeExtractor.permissions(mode == 0 ? 0644 : mode));
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
      return 0;
    } finally {
      Files.deleteIfExists(part);
    }
  }

  private int directory(Remote from, String local) throws Exception {
    Path tar = Files.createTempFile("phantom-cp-", ".tar");
    try {
      SessionCommand.await(client.downloadArchive(
          DownloadArchiveRequest.newBuilder().setSandboxId(from.sandbox()).setPath(from.relative()).build(),
          tar, limits.maxArchiveBytes(), n -> progress.update("copying from " + from.sandbox() + ": " + Progress.bytes(n))));
      if (local.equals("-")) {
        progress.close();
        toStdout(tar);
        return 0;
      }
      Path target = Path.of(local);
      if (Files.isDirectory(target)) {
        if (!from.contentsOnly()) {
          target = target.resolve(from.name());
        }
      } else if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        progress.fail("cannot copy the directory " + from + " onto the file " + local);
        return PhantomCli.EXIT_USAGE;
      } else if (!Files.isDirectory(target.toAbsolutePath().getParent())) {
        progress.fail(target.toAbsolutePath().getParent() + ": no such directory");
        return PhantomCli.EXIT_USAGE;
      }
      boolean created = !Files.exists(target, LinkOption.NOFOLLOW_LINKS);
      if (created) {
        Files.createDirectory(target);
      } else if (!Files.isDirectory(target)) {
        progress.fail("cannot copy the directory " + from + " onto the file " + target);
        return PhantomCli.EXIT_USAGE;
      }
      try {
        long size = Files.size(tar);
        SafeExtractor.extract(tar, target, limits, n -> progress.update("unpacking " + Progress.fraction(n, size)));
        return 0;
      } catch (ArchiveException e) {
        if (created) {
          // Nothing was written if the first pass refused it; if the second did, what was written stays.
          try {
            Files.delete(target);
          } catch (IOException notEmpty) {
            // Keep it: removing what the archive did write would mean following what it made.
          }
        }
        progress.fail("refused the archive of " + from + ": " + e.getMessage());
        return PhantomCli.EXIT_PHANTOM_ERROR;
      }
    } finally {
      Files.deleteIfExists(tar);
    }
  }

  private static void toStdout(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      in.transferTo(System.out);
    }
    System.out.flush();
  }
}
