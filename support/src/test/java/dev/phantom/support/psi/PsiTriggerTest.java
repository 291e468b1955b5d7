package dev.phantom.support.psi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** Real triggers on the host's /proc/pressure; skipped only where the kernel has no PSI, unless CI says it must work. */
class PsiTriggerTest {

  private static final Path CPU = PsiReader.file(PsiReader.PROC_PRESSURE, PsiReader.Resource.CPU);

  private static void assumePsi() {
    boolean mustWork = "1".equals(System.getenv("PHANTOM_MUST_WORK"));
    if (!mustWork) {
      assumeTrue(Files.isReadable(CPU), "no PSI on this host (" + CPU + ")");
    }
  }

  @Test
  void readsEveryHostPressureFile() throws IOException {
    assumePsi();
    PsiReader reader = new PsiReader(PsiReader.PROC_PRESSURE);
    for (PsiReader.Resource resource : PsiReader.Resource.values()) {
      assertThat(reader.read(resource).some().totalMicros()).isNotNegative();
    }
    // memory and io always have a full line
    assertThat(reader.read(PsiReader.Resource.MEMORY).full()).isPresent();
  }

  @Test
  void aTriggerFiresUnderCpuContention() throws Exception {
    assumePsi();
    // "some 10000 2000000": wake when some task waited 10 ms for a CPU within any 2 s (a 2 s window
    // works without CAP_SYS_RESOURCE, which root in this test's container may lack).
    try (PsiTrigger trigger = PsiTrigger.register(CPU, PsiTrigger.Kind.SOME, Duration.ofMillis(10),
        Duration.ofSeconds(2))) {
      AtomicBoolean stop = new AtomicBoolean();
      List<Thread> spinners = new ArrayList<>();
      int threads = Runtime.getRuntime().availableProcessors() * 2 + 2; // more runnable threads than CPUs
      for (int i = 0; i < threads; i++) {
        Thread t = Thread.ofPlatform().daemon().start(() -> {
          long x = 0;
          while (!stop.get()) {
            x += System.nanoTime() & 1;
          }
          if (x == 42) {
            System.out.print("");
          }
        });
        spinners.add(t);
      }
      try {
        boolean fired = false;
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!fired && System.nanoTime() < deadline) {
          fired = trigger.await(Duration.ofSeconds(1));
        }
        assertThat(fired).as("POLLPRI within 20 s while %d threads spin", threads).isTrue();
      } finally {
        stop.set(true);
        for (Thread t : spinners) {
          t.join();
        }
      }
    }
  }

  @Test
  void aSubSecondWindowRegistersOrSaysWhyNot() throws IOException {
    assumePsi();
    // "some 150000 1000000" needs CAP_SYS_RESOURCE: with it the trigger registers, without it the
    // error says what to change instead of a bare EINVAL.
    try (PsiTrigger trigger = PsiTrigger.register(CPU, PsiTrigger.Kind.SOME, Duration.ofMillis(150),
        Duration.ofSeconds(1))) {
      assertThat(trigger.await(Duration.ZERO)).isIn(true, false);
    } catch (IOException refused) {
      assertThat(refused).hasMessageContaining("errno 22").hasMessageContaining("multiple of 2 s");
    }
  }

  @Test
  void windowsTheKernelRefusesAreRefusedWithTheRange() {
    assertThatThrownBy(() -> PsiTrigger.register(CPU, PsiTrigger.Kind.SOME, Duration.ofMillis(10), Duration.ofMillis(100)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[500 ms, 10 s]: 100 ms");
    assertThatThrownBy(() -> PsiTrigger.register(CPU, PsiTrigger.Kind.FULL, Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most the window");
  }

  @Test
  void aFileThatIsNotAPressureFileIsNamedInTheError(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
    Path missing = dir.resolve("cpu");
    assertThatThrownBy(() -> PsiTrigger.register(missing, PsiTrigger.Kind.SOME, Duration.ofMillis(100),
        Duration.ofSeconds(1))).isInstanceOf(IOException.class).hasMessageContaining(missing.toString())
        .hasMessageContaining("errno 2");
    Files.writeString(missing, "hello\n");
    assertThatThrownBy(() -> new PsiReader(dir).read(PsiReader.Resource.CPU))
        .isInstanceOf(IOException.class).hasMessageContaining(missing + ": pressure line 1 'hello': starts with neither");
  }
}
