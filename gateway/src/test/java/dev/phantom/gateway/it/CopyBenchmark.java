package dev.phantom.gateway.it;

import dev.phantom.api.v1.ArchiveStart;
import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.DownloadArchiveRequest;
import dev.phantom.api.v1.RemoveFilesRequest;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.gateway.cli.tar.ArchiveLimits;
import dev.phantom.gateway.cli.tar.DirectoryPacker;
import dev.phantom.gateway.cli.tar.SafeExtractor;
import dev.phantom.support.testing.SandboxHost;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What 'phantom cp' of a directory costs, beside what the host's own GNU tar takes for the same tree in
 * the same run: the checked unpack (SafeExtractor) against {@code tar -x}, and a copy into and out of a
 * sandbox against a local {@code tar -c | tar -x}. Prints figures, asserts nothing; not run by default
 * (run it with {@code -Dit.test=CopyBenchmark -Dfailsafe.failIfNoSpecifiedTests=false}).
 */
class CopyBenchmark {

  private static final int FILES = 200;
  private static final int FILE_BYTES = 48 << 10;
  private static final int SMALL_FILES = 300;
  private static final int ROUNDS = 7;

  interface Step {
    void run(int round) throws Exception;
  }

  @Test
  void copyOfADirectoryTree() throws Exception {
    SandboxHost.assumeBubblewrap();
    Path work = Files.createTempDirectory("phantom-cp-bench");
    Path src = tree(work.resolve("src"));
    Path tar = work.resolve("src.tar");
    DirectoryPacker.directory(src, tar, p -> { });
    try (EmbeddedMesh mesh = EmbeddedMesh.start()) {
      Sandbox box = EmbeddedMesh.await(mesh.client.createSandbox(CreateSandboxRequest.newBuilder().setProfile("minimal").build()));
      String id = box.getId();
      System.out.printf("tree: %d files of %d KiB and %d small ones in %d directories, tar %d KiB; median of %d after one warm-up%n",
          FILES, FILE_BYTES >> 10, SMALL_FILES, SMALL_FILES / 10, Files.size(tar) >> 10, ROUNDS);
      report("host: tar -c | tar -x (baseline)", r -> sh("mkdir " + work.resolve("b" + r) + " && tar -c -C " + src
          + " . | tar -x -C " + work.resolve("b" + r)));
      report("host: tar -x of the tar (baseline)", r -> sh("mkdir " + work.resolve("x" + r) + " && tar -x -C "
          + work.resolve("x" + r) + " -f " + tar));
      report("host: SafeExtractor of the tar", r -> SafeExtractor.extract(tar, Files.createDirectory(work.resolve("s" + r)),
          ArchiveLimits.DEFAULTS, n -> { }));
      report("host: DirectoryPacker to a tar", r -> DirectoryPacker.directory(src, work.resolve("p" + r + ".tar"), p -> { }));
      // Removed again each round, inside the timing: the workspace is a 64 MiB tmpfs.
      report("into a sandbox: pack + UploadArchive + rm -r", r -> {
        Path packed = work.resolve("u" + r + ".tar");
        DirectoryPacker.directory(src, packed, p -> { });
        EmbeddedMesh.await(mesh.client.uploadArchive(ArchiveStart.newBuilder().setSandboxId(id).setPath("in" + r).build(),
            packed, n -> { }));
        EmbeddedMesh.await(mesh.client.removeFiles(RemoveFilesRequest.newBuilder().setSandboxId(id).addPaths("in" + r)
            .setRecursive(true).build()));
      });
      EmbeddedMesh.await(mesh.client.uploadArchive(ArchiveStart.newBuilder().setSandboxId(id).setPath("out").build(), tar, n -> { }));
      report("out of a sandbox: DownloadArchive + SafeExtractor", r -> {
        Path got = work.resolve("d" + r + ".tar");
        EmbeddedMesh.await(mesh.client.downloadArchive(DownloadArchiveRequest.newBuilder().setSandboxId(id).setPath("out").build(),
            got, ArchiveLimits.DEFAULTS.maxArchiveBytes(), n -> { }));
        SafeExtractor.extract(got, Files.createDirectory(work.resolve("o" + r)), ArchiveLimits.DEFAULTS, n -> { });
      });
      EmbeddedMesh.await(mesh.client.destroySandbox(id));
    } finally {
      try (Stream<Path> paths = Files.walk(work)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static void report(String what, Step step) throws Exception {
    step.run(100);
    long[] micros = new long[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      long start = System.nanoTime();
      step.run(r);
      micros[r] = (System.nanoTime() - start) / 1000;
    }
    Arrays.sort(micros);
    System.out.printf("  %-54s median %7.1f ms   min %7.1f ms%n", what, micros[ROUNDS / 2] / 1000.0, micros[0] / 1000.0);
  }

  private static void sh(String script) throws Exception {
    Process process = new ProcessBuilder("sh", "-c", script).inheritIO().start();
    if (process.waitFor() != 0) {
      throw new IllegalStateException("failed: " + script);
    }
  }

  private static Path tree(Path root) throws Exception {
    Random random = new Random(42);
    byte[] data = new byte[FILE_BYTES];
    for (int i = 0; i < FILES; i++) {
      random.nextBytes(data);
      Files.write(Files.createDirectories(root.resolve("big")).resolve("f" + i + ".bin"), data);
    }
    for (int i = 0; i < SMALL_FILES; i++) {
      Files.writeString(Files.createDirectories(root.resolve("src").resolve("pkg" + i / 10)).resolve("m" + i + ".py"),
          "print(" + i + ")\n");
    }
    return root;
  }
}
