package dev.phantom.k8s;

import java.nio.file.Files;
import java.nio.file.Path;

/** Paths in the repository; tests run from the k8s module directory. */
final class Repo {
  static final Path K8S = findK8s();
  static final Path ROOT = K8S.getParent();

  private Repo() {}

  private static Path findK8s() {
    Path dir = Path.of("").toAbsolutePath();
    if (Files.isDirectory(dir.resolve("base")) && Files.exists(dir.resolve("Dockerfile"))) {
      return dir;
    }
    return dir.resolve("k8s");
  }
}
