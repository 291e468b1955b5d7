package dev.phantom.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The image cannot be built here (no docker); what can be checked without building it is. */
class DockerfileTest {

  private static final Path DOCKERFILE = Repo.K8S.resolve("Dockerfile");

  private static List<String> instructions() throws IOException {
    return Files.readAllLines(DOCKERFILE).stream().filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
  }

  @Test
  void everyFileCopiedFromTheContextExists() throws IOException {
    List<String> missing = new ArrayList<>();
    for (String line : instructions()) {
      if (line.startsWith("COPY ") && !line.contains("--from=")) {
        String[] words = line.substring(5).trim().split("\\s+");
        for (int i = 0; i < words.length - 1; i++) {
          if (!Files.exists(Repo.ROOT.resolve(words[i]))) {
            missing.add(words[i]);
          }
        }
      }
    }
    assertThat(missing).as("COPY sources missing from the repository").isEmpty();
  }

  @Test
  void theBuildStageHasEveryModuleTheReactorLists() throws IOException {
    String dockerfile = Files.readString(DOCKERFILE);
    Matcher module = Pattern.compile("<module>([^<]+)</module>").matcher(Files.readString(Repo.ROOT.resolve("pom.xml")));
    List<String> missing = new ArrayList<>();
    while (module.find()) {
      String m = module.group(1);
      if (!dockerfile.contains("COPY " + m + " " + m) && !dockerfile.contains("COPY " + m + "/pom.xml")) {
        missing.add(m);
      }
    }
    assertThat(missing).as("modules of pom.xml that the image build would not find").isEmpty();
  }

  @Test
  void theEntrypointsAreExecutableShellScriptsThatParse() throws Exception {
    assertThat(Files.readString(DOCKERFILE)).contains("ENTRYPOINT [\"/opt/phantom/bin/phantom\"]");
    for (String script : List.of("phantom", "zygote-init")) {
      Path file = Repo.K8S.resolve("image").resolve(script);
      assertThat(Files.isExecutable(file)).as(file + " is executable").isTrue();
      Process sh = new ProcessBuilder("sh", "-n", file.toString()).redirectErrorStream(true).start();
      String out = new String(sh.getInputStream().readAllBytes());
      assertThat(sh.waitFor()).as("sh -n %s: %s", file, out).isZero();
    }
  }

  @Test
  void theRuntimeImageHasWhatTheZygoteSpawnsWith() throws IOException {
    String runtime = Files.readString(DOCKERFILE);
    runtime = runtime.substring(runtime.lastIndexOf("\nFROM "));
    assertThat(runtime).contains("eclipse-temurin:25-jre").contains("bubblewrap").contains("util-linux");
  }
}
