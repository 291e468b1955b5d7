package dev.phantom.loadtest;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** What a result was measured on: recorded in every result so figures are never quoted without it. */
final class Machine {

  private Machine() {}

  static JsonObject describe() {
    JsonObject m = new JsonObject();
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put("memoryBytes", memTotal());
    m.put("cpuModel", cpuModel());
    m.put("kernel", firstLine(List.of("uname", "-r")));
    m.put("os", osName());
    m.put("cgroupVersion", Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers")) ? 2
        : Files.isDirectory(Path.of("/sys/fs/cgroup/memory")) ? 1 : null);
    m.put("bubblewrap", firstLine(List.of("bwrap", "--version")));
    m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
    m.put("hostname", firstLine(List.of("hostname")));
    return m;
  }

  /** The product's version: the build's, plus the git commit when run from a checkout. */
  static JsonObject product() {
    String version = LoadTest.class.getPackage().getImplementationVersion();
    return new JsonObject().put("version", version != null ? version : "dev")
        .put("gitCommit", firstLine(List.of("git", "rev-parse", "--short", "HEAD")))
        .put("gitDirty", firstLine(List.of("git", "status", "--porcelain", "--untracked-files=no")) != null);
  }

  private static Long memTotal() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException ignored) {
      // not Linux
    }
    return null;
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException ignored) {
      // not Linux
    }
    return null;
  }

  private static String osName() {
    try {
      for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
        if (line.startsWith("PRETTY_NAME=")) {
          return line.substring(12).replace("\"", "");
        }
      }
    } catch (IOException ignored) {
      // unknown
    }
    return System.getProperty("os.name");
  }

  /** The first line a command prints, or null if it cannot run or fails. */
  static String firstLine(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return null;
      }
      if (p.exitValue() != 0 || out.isEmpty()) {
        return null;
      }
      int nl = out.indexOf('\n');
      return nl < 0 ? out : out.substring(0, nl);
    } catch (IOException | InterruptedException e) {
      return null;
    }
  }
}
