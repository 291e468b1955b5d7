package dev.phantom.zygote.bwrap;

import dev.phantom.zygote.core.BwrapFeatures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Where bubblewrap (and, for a root service, setpriv) is, and what it supports; or why the node cannot spawn.
 * Probing runs {@code bwrap --help} once, so call {@link #detect} off the event loop.
 *
 * @param bwrap absolute path of bwrap, empty when missing
 * @param setpriv absolute path of setpriv, empty when not found
 * @param features what this bwrap supports
 * @param problem why sandboxes cannot be spawned, empty when they can
 */
public record BwrapInstallation(Optional<Path> bwrap, Optional<Path> setpriv, BwrapFeatures features, Optional<String> problem) {

  public boolean ready() {
    return problem.isEmpty();
  }

  /**
   * @param configuredPath the {@code bwrapPath} config value, or empty to search PATH
   * @param needSetpriv true when the service runs as root and must drop to the sandbox user
   */
  public static BwrapInstallation detect(Optional<String> configuredPath, boolean needSetpriv, String nodeId) {
    // A configured path is taken as the only place to look: falling back to PATH would hide a typo.
    Optional<Path> bwrap = configuredPath.isPresent()
        ? configuredPath.map(Path::of).filter(Files::isExecutable)
        : onPath("bwrap");
    Optional<Path> setpriv = onPath("setpriv");
    if (bwrap.isEmpty()) {
      String where = configuredPath.map(p -> " at " + p).orElse(" on PATH");
      return new BwrapInstallation(bwrap, setpriv, new BwrapFeatures(false), Optional.of(
          "bubblewrap is not installed on node " + nodeId + " (looked" + where
              + "): install it with 'apt-get install -y bubblewrap'"));
    }
    if (needSetpriv && setpriv.isEmpty()) {
      return new BwrapInstallation(bwrap, setpriv, new BwrapFeatures(false), Optional.of(
          "the zygote on node " + nodeId + " runs as root but setpriv (util-linux) is not on PATH, so it cannot"
              + " drop to the sandbox user: install util-linux or run the service as an unprivileged user"));
    }
    return new BwrapInstallation(bwrap, setpriv, BwrapFeatures.fromHelp(help(bwrap.get())), Optional.empty());
  }

  static Optional<Path> onPath(String name) {
    String path = Optional.ofNullable(System.getenv("PATH")).orElse("/usr/local/bin:/usr/bin:/bin");
    for (String dir : path.split(":")) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate.toAbsolutePath());
      }
    }
    for (String dir : new String[] {"/usr/bin", "/usr/sbin", "/bin", "/sbin"}) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  private static String help(Path bwrap) {
    try {
      Process p = new ProcessBuilder(bwrap.toString(), "--help").redirectErrorStream(true).start();
      try (InputStream in = p.getInputStream()) {
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(5, TimeUnit.SECONDS);
        return text;
      }
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
