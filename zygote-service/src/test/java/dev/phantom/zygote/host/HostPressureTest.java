package dev.phantom.zygote.host;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.proto.zygote.v1.NodeReport;
import dev.phantom.zygote.pool.HostMemory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostPressureTest {

  @TempDir
  Path dir;

  @Test
  void anInjectedDirectoryIsReadAsItIsAndFlagged() throws Exception {
    Files.writeString(dir.resolve("cpu"), "some avg10=95.00 avg60=50.00 avg300=10.00 total=123\n");
    Files.writeString(dir.resolve("memory"), "some avg10=1.50 avg60=0 avg300=0 total=1\nfull avg10=0.25 avg60=0 avg300=0 total=1\n");
    // no io file: that field stays unset, as on a kernel without PSI

    try (HostPressure pressure = new HostPressure(dir, new HostMemory())) {
      pressure.watch(() -> { throw new AssertionError("no trigger on an injected directory"); });
      NodeReport.Builder report = pressure.fill(NodeReport.newBuilder());

      assertThat(report.getCpu().getSomeAvg10()).isEqualTo(95.0);
      assertThat(report.getMemory().getFullAvg10()).isEqualTo(0.25);
      assertThat(pressure.memorySome(report)).isEqualTo(1.5);
      assertThat(report.hasIo()).isFalse();
      assertThat(report.getPressureInjected()).isTrue();
      assertThat(report.getTriggered()).isFalse();
      assertThat(report.getFreeMemoryBytes()).isPositive();

      Files.writeString(dir.resolve("cpu"), "some avg10=0.00 avg60=50.00 avg300=10.00 total=124\n");
      assertThat(pressure.fill(NodeReport.newBuilder()).getCpu().getSomeAvg10()).isZero();
    }
  }

  @Test
  void numaLayoutCountsNodeDirectories() throws Exception {
    assertThat(NumaLayout.read(dir).describe()).isEqualTo("NUMA: one node, no pinning");
    for (String node : new String[] {"node0", "node1"}) {
      Files.createDirectories(dir.resolve(node));
      Files.writeString(dir.resolve(node).resolve("cpulist"), node.equals("node0") ? "0-3\n" : "4-7\n");
    }
    Files.createDirectories(dir.resolve("power")); // not a node
    assertThat(NumaLayout.read(dir).cpuLists()).containsExactly("0-3", "4-7");
    assertThat(NumaLayout.read(dir).describe()).startsWith("NUMA: 2 nodes (cpus 0-3 | 4-7)");
  }
}
