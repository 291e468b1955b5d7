package dev.phantom.zygote.bwrap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.zygote.core.KillReason;
import dev.phantom.zygote.core.OutputSink;
import dev.phantom.zygote.core.RunSpec;
import dev.phantom.zygote.core.SandboxLauncher;
import dev.phantom.zygote.core.SandboxProfile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Which namespaces this process holds descriptors of, read from {@code /proc/self/fd}. */
final class HeldNamespaceLinks {

  private HeldNamespaceLinks() {}

  /** Links such as {@code mnt:[4026532001]} of every descriptor of a namespace this process has open. */
  static Set<String> now() throws IOException {
    Set<String> links = new HashSet<>();
    try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
      for (Path fd : fds) {
        try {
          String link = Files.readSymbolicLink(fd).toString();
          if (link.matches("[a-z_]+:\\[\\d+]")) {
            links.add(link);
          }
        } catch (IOException e) {
          // closed meanwhile
        }
      }
    }
    return links;
  }

  /**
   * Runs a command that prints its own mount and network namespaces and then waits: while it runs, this
   * process must hold descriptors of both; once its run has ended (by a kill when {@code kill}, else by
   * itself), it must let them go within a few seconds.
   */
  static void checkHeldDuringRunAndReleasedAfter(BwrapLauncher launcher, SandboxProfile profile, boolean kill)
      throws Exception {
    CompletableFuture<String> printed = new CompletableFuture<>();
    StringBuilder out = new StringBuilder();
    OutputSink sink = (stream, data) -> {
      synchronized (out) {
        out.append(new String(data, StandardCharsets.UTF_8));
        if (out.toString().split("\n").length >= 2 && out.toString().endsWith("\n")) {
          printed.complete(out.toString());
        }
      }
    };
    RunSpec spec = RunSpec.of("ns-" + System.nanoTime(),
        List.of("sh", "-c", "readlink /proc/self/ns/mnt /proc/self/ns/net; sleep " + (kill ? 30 : 3)),
        Duration.ofSeconds(60), 1 << 20);
    SandboxLauncher.Running running = launcher.launch(profile, spec, sink);
    List<String> own = List.of(printed.get(20, TimeUnit.SECONDS).strip().split("\n"));
    assertThat(own).hasSize(2).allMatch(l -> l.startsWith("mnt:[") || l.startsWith("net:["));
    // Where the pid comes with the status the output thread reads, the output may be handled first.
    assertThat(awaitHeld(own, true)).as("namespaces held while the sandbox runs").containsAll(own);
    if (kill) {
      running.kill(KillReason.CANCELLED);
    }
    running.outcome().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(awaitHeld(own, false)).as("namespaces still held after the run").doesNotContainAnyElementsOf(own);
  }

  /** The links held once all of {@code links} are held (or none, when not {@code held}), or after 2.5 s. */
  private static Set<String> awaitHeld(List<String> links, boolean held) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
    Set<String> now = now();
    while ((held ? !now.containsAll(links) : links.stream().anyMatch(now::contains)) && System.nanoTime() < deadline) {
      Thread.sleep(20);
      now = now();
    }
    return now;
  }
}
