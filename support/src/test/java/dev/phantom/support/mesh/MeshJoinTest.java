package dev.phantom.support.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How {@code --join} values become Hazelcast join settings; no cluster is started. */
class MeshJoinTest {

  @Test
  void tcpMembersAreJoinedThroughTcpIp() {
    JoinConfig join = join(List.of("10.0.0.1:5701", "10.0.0.2:5701"));
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().getMembers()).containsExactly("10.0.0.1:5701", "10.0.0.2:5701");
    assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
  }

  @Test
  void noMembersJoinsThisNodesOwnAddress() {
    JoinConfig join = join(List.of());
    assertThat(join.getTcpIpConfig().getMembers()).containsExactly("127.0.0.1:5801");
  }

  @Test
  void kubernetesEntryTurnsOnDnsDiscoveryOnTheClusterPort() {
    JoinConfig join = join(List.of("kubernetes:phantom-cluster.phantom.svc.cluster.local"));
    assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(join.getKubernetesConfig().getProperty("service-dns"))
        .isEqualTo("phantom-cluster.phantom.svc.cluster.local");
    assertThat(join.getKubernetesConfig().getProperty("service-port")).isEqualTo("5801");
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
  }

  @Test
  void onKubernetesSplitClustersFromARolloutMergeWithinSeconds() {
    Config config = Mesh.hazelcastConfig(MeshOptions.cluster("c", "10.0.0.5", 5701, List.of("kubernetes:svc")));
    assertThat(config.getProperty("hazelcast.merge.first.run.delay.seconds")).isEqualTo("10");
    assertThat(config.getProperty("hazelcast.merge.next.run.delay.seconds")).isEqualTo("10");
    Config tcp = Mesh.hazelcastConfig(MeshOptions.cluster("c", "127.0.0.1", 5701, List.of()));
    assertThat(tcp.getProperty("hazelcast.merge.first.run.delay.seconds")).isNull();
  }

  @Test
  void kubernetesEntryMustNameAServiceAndStandAlone() {
    assertThatThrownBy(() -> join(List.of("kubernetes:")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("kubernetes:SERVICE_DNS");
    assertThatThrownBy(() -> join(List.of("kubernetes:svc", "10.0.0.1:5701")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no other member");
  }

  @Test
  void badJoinFailsTheStartWithTheMessageInsteadOfThrowing() {
    var started = Mesh.start(MeshOptions.cluster("c-" + System.nanoTime(), "127.0.0.1", 0, List.of("kubernetes: ")));
    assertThat(started.failed()).isTrue();
    assertThat(started.cause()).hasMessageContaining("kubernetes:SERVICE_DNS");
  }

  private static JoinConfig join(List<String> members) {
    Config config = Mesh.hazelcastConfig(MeshOptions.cluster("c", "127.0.0.1", 5801, members));
    return config.getNetworkConfig().getJoin();
  }
}
