package dev.phantom.zygote.host;

import dev.phantom.proto.zygote.v1.NodeReport;
import dev.phantom.proto.zygote.v1.Pressure;
import dev.phantom.support.psi.PsiParser;
import dev.phantom.support.psi.PsiReader;
import dev.phantom.support.psi.PsiTrigger;
import dev.phantom.zygote.pool.HostMemory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Logger;

/**
 * What the node report says of the host's load: PSI of cpu, memory and io, free memory, and whether a PSI
 * trigger fired lately. The 10-second averages lag a sudden spike by seconds, so a kernel trigger on cpu and
 * memory wakes a thread the moment the stall within one window passes the threshold the orchestrator uses;
 * the caller then publishes a report at once, flagged {@code triggered} for one window.
 *
 * <p>{@code dir} other than /proc/pressure is for tests that skew one node's pressure (key
 * {@code zygote.pressureDir}): its files are read as they are, and no trigger is set on them (a regular file
 * polls as always ready).
 */
public final class HostPressure implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(HostPressure.class.getName());

  /** Stall share of a window that fires, per resource: the orchestrator's cpu-some and memory-some thresholds. */
  static final double CPU_SOME_SHARE = 0.80;
  static final double MEMORY_SOME_SHARE = 0.20;

  private final Path dir;
  private final PsiReader reader;
  private final HostMemory memory;
  private final boolean injected;
  private volatile long firedAtNanos = Long.MIN_VALUE / 2;
  private volatile Duration window = Duration.ofSeconds(1);
  private volatile boolean closed;

  public HostPressure(Path dir, HostMemory memory) {
    this.dir = dir;
    this.reader = new PsiReader(dir);
    this.memory = memory;
    this.injected = !dir.equals(PsiReader.PROC_PRESSURE);
  }

  /**
   * Registers the cpu and memory triggers and starts one waiting thread for each; {@code onSpike} runs on
   * that thread. A 1 s window needs CAP_SYS_RESOURCE; without it the kernel takes 2 s. A host without PSI
   * gets no trigger (logged), only the periodic report.
   */
  public void watch(Runnable onSpike) {
    if (injected) {
      LOG.info("pressure read from " + dir + " (zygote.pressureDir), not /proc/pressure: no PSI triggers");
      return;
    }
    for (PsiReader.Resource resource : List.of(PsiReader.Resource.CPU, PsiReader.Resource.MEMORY)) {
      double share = resource == PsiReader.Resource.CPU ? CPU_SOME_SHARE : MEMORY_SOME_SHARE;
      PsiTrigger trigger = register(resource, share);
      if (trigger == null) {
        continue;
      }
      // The waiting thread owns the descriptor and closes it after its last poll (within a second of close()),
      // so the number is never reused under a poll still running.
      Thread.ofPlatform().daemon().name("psi-trigger-" + resource.name().toLowerCase()).start(() -> {
        try (trigger) {
          while (!closed) {
            if (trigger.await(Duration.ofSeconds(1)) && !closed) {
              firedAtNanos = System.nanoTime();
              onSpike.run();
            }
          }
        } catch (IOException e) {
          LOG.warning("PSI trigger stopped: " + e.getMessage());
        }
      });
    }
  }

  private PsiTrigger register(PsiReader.Resource resource, double share) {
    Path file = PsiReader.file(dir, resource);
    IOException first = null;
    for (Duration w : List.of(Duration.ofSeconds(1), Duration.ofSeconds(2))) {
      try {
        PsiTrigger trigger = PsiTrigger.register(file, PsiTrigger.Kind.SOME,
            Duration.ofNanos((long) (w.toNanos() * share)), w);
        window = w;
        return trigger;
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    LOG.warning("no PSI trigger on " + file + ", pressure is seen at the next report only: " + first.getMessage());
    return null;
  }

  /** Sets the pressure fields of a report; a missing or unreadable file leaves its field unset. */
  public NodeReport.Builder fill(NodeReport.Builder report) {
    read(PsiReader.Resource.CPU).ifPresent(report::setCpu);
    read(PsiReader.Resource.MEMORY).ifPresent(report::setMemory);
    read(PsiReader.Resource.IO).ifPresent(report::setIo);
    return report.setFreeMemoryBytes(memory.availableBytes())
        .setTriggered(System.nanoTime() - firedAtNanos < window.toNanos())
        .setPressureInjected(injected);
  }

  /** Memory "some" avg10 of the last read, percent: what the warm pools shrink on. */
  public double memorySome(NodeReport.Builder filled) {
    return filled.hasMemory() ? filled.getMemory().getSomeAvg10() : 0;
  }

  private java.util.Optional<Pressure> read(PsiReader.Resource resource) {
    try {
      PsiParser.Reading reading = reader.read(resource);
      return java.util.Optional.of(Pressure.newBuilder().setSomeAvg10(reading.someAvg10())
          .setFullAvg10(reading.fullAvg10()).build());
    } catch (IOException e) {
      return java.util.Optional.empty(); // no PSI on this kernel: the orchestrator sees no stall
    }
  }

  @Override
  public void close() {
    closed = true;
  }
}
