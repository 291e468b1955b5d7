package dev.phantom.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.store.core.Digest;
import dev.phantom.store.fs.TestClock;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of a store in the middle of imports, tag removals and garbage collection: after a
 * restart every acknowledged tag names a manifest that is whole and reads back verified, and nothing
 * half-written is visible. Repeated with kills at different moments.
 */
public class KillNineIT {

  @TempDir
  Path dir;

  @Test
  void nothingAcknowledgedIsLost() throws Exception {
    Random random = new Random();
    long collected = 0;
    for (int round = 0; round < 3; round++) {
      Path data = dir.resolve("store");
      Map<String, Digest> acked = new HashMap<>();
      List<String> lines = runAndKill(data, 4 + random.nextInt(4), random.nextInt(800));
      // After acknowledging img-N the child removes img-(N-3): when the kill came before that removal was
      // acknowledged, it may or may not have happened, so that one tag is owed in neither state.
      String removalInFlight = null;
      for (String line : lines) {
        String[] parts = line.split(" ");
        if (parts[0].equals("tag")) {
          acked.put(parts[1], Digest.parse(parts[2]));
          int n = Integer.parseInt(parts[1].substring("img-".length(), parts[1].indexOf(':')));
          removalInFlight = n >= 3 ? "img-" + (n - 3) + ":latest" : null;
        } else if (parts[0].equals("untag")) {
          acked.remove(parts[1]);
          removalInFlight = null;
        } else if (parts[0].equals("gc")) {
          collected += Long.parseLong(parts[1]);
        }
      }
      if (removalInFlight != null) {
        acked.remove(removalInFlight);
      }
      assertThat(lines).as("acknowledged lines").anyMatch(l -> l.startsWith("gc"));

      try (FragmentStore store = FragmentStore.open(data, StoreOptions.defaults(), TestClock.realNow(),
          StoreMetrics.none())) {
        assertThat(filesUnder(store.root().resolve("tmp"))).isEmpty();
        Map<String, Digest> tags = store.listTags();
        for (Map.Entry<String, Digest> a : acked.entrySet()) {
          assertThat(tags).as("round %d, after %d lines", round, lines.size()).containsEntry(a.getKey(), a.getValue());
        }
        // Every tag on disk (acknowledged or set just before the kill) names a whole manifest...
        for (Digest manifest : tags.values()) {
          FragmentStore.Walk walk = store.walk(manifest, FragmentStore.WalkMode.CHECK);
          // ...whose every chunk reads back and verifies.
          for (Digest chunk : walk.chunkDigests()) {
            assertThat(store.getChunk(chunk)).isNotEmpty();
          }
        }
      }
    }
    assertThat(collected).as("chunks the collector deleted while imports ran").isPositive();
  }

  /** Regular files anywhere below {@code dir}: temporary files left behind. */
  public static java.util.List<Path> filesUnder(Path dir) throws java.io.IOException {
    try (var walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).toList();
    }
  }

  /** Starts the child, waits for {@code acks} acknowledged tags and a little more, kills it with SIGKILL. */
  private static List<String> runAndKill(Path data, int acks, int extraMs) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> argv = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx512m", "-cp",
        System.getProperty("java.class.path"), CrashChild.class.getName(), data.toString()));
    Process child = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      long tags = 0;
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      String line;
      while (tags < acks && System.nanoTime() < deadline && (line = out.readLine()) != null) {
        lines.add(line);
        tags += line.startsWith("tag ") ? 1 : 0;
      }
      assertThat(tags).as("tags acknowledged before the kill; child alive: " + child.isAlive()).isEqualTo(acks);
      Thread.sleep(extraMs);
      // SIGKILL from outside: Process.destroyForcibly would also close the pipe, and whatever the child
      // printed before dying was acknowledged too and must still be read.
      assertThat(new ProcessBuilder("kill", "-9", Long.toString(child.pid())).start().waitFor()).isZero();
      child.waitFor();
      while ((line = out.readLine()) != null) {
        lines.add(line);
      }
    } finally {
      child.destroyForcibly();
    }
    assertThat(Files.exists(data.resolve("store.lock"))).isTrue();
    return lines;
  }
}
