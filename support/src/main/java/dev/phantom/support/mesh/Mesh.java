package dev.phantom.support.mesh;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.spi.cluster.NodeListener;
import io.vertx.core.transport.Transport;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.logging.Logger;

/** Boots one node's Vert.x: embedded (local event bus) or clustered through Hazelcast. */
public final class Mesh {

  private static final Logger LOG = Logger.getLogger(Mesh.class.getName());
  /** How soon members that found no one at start look again and merge, on Kubernetes. */
  static final int KUBERNETES_MERGE_DELAY_SECONDS = 10;

  private final Vertx vertx;
  private final Membership membership;
  private final PrometheusMeterRegistry meters;

  private Mesh(Vertx vertx, Membership membership, PrometheusMeterRegistry meters) {
    this.vertx = vertx;
    this.membership = membership;
    this.meters = meters;
  }

  public Vertx vertx() {
    return vertx;
  }

  public Membership membership() {
    return membership;
  }

  public PrometheusMeterRegistry meters() {
    return meters;
  }

  public Future<Void> close() {
    return vertx.close();
  }

  public static Future<Mesh> start(MeshOptions options) {
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    VertxOptions vertxOptions = new VertxOptions()
        .setEventLoopPoolSize(eventLoops(Runtime.getRuntime().availableProcessors()))
        .setPreferNativeTransport(true)
        .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true));
    VertxBuilder builder = Vertx.builder()
        .with(vertxOptions)
        .withMetrics(new MicrometerMetricsFactory(meters));
    builder.withTransport(chooseTransport());
    if (!options.clustered()) {
      Vertx vertx = builder.build();
      logTransport(vertx);
      return Future.succeededFuture(new Mesh(vertx, new LocalMembership(), meters));
    }
    vertxOptions.getEventBusOptions().setHost(options.host()).setPort(0);
    Config hazelcast;
    try {
      hazelcast = hazelcastConfig(options);
    } catch (IllegalArgumentException badJoin) {
      return Future.failedFuture(badJoin);
    }
    HazelcastClusterManager manager = new HazelcastClusterManager(hazelcast);
    return builder.withClusterManager(manager).buildClustered().map(vertx -> {
      logTransport(vertx);
      return new Mesh(vertx, new ClusterMembership(manager), meters);
    });
  }

  /**
   * Hazelcast with TCP-IP join (or Kubernetes DNS discovery when asked), no multicast, no phone-home,
   * no join delay.
   */
  static Config hazelcastConfig(MeshOptions options) {
    Config config = ConfigUtil.loadConfig();
    config.setClusterName(options.clusterName());
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.max.wait.seconds.before.join", "0");
    config.setProperty("hazelcast.logging.type", "jdk");
    config.getNetworkConfig().setPort(options.clusterPort()).setPortAutoIncrement(true);
    config.getNetworkConfig().getInterfaces().setEnabled(true).setInterfaces(List.of(options.host()));
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    var kubernetesDns = options.kubernetesServiceDns();
    if (kubernetesDns.isPresent()) {
      // DNS lookup mode reads the A records of a headless Service: no Kubernetes API calls, so the
      // pods need no service-account token and no RBAC. Every member listens on the same port.
      join.getTcpIpConfig().setEnabled(false);
      // Pods of a rollout start together, and one that looks before the others' records are
      // published starts a cluster of its own. Hazelcast merges such clusters, by default first after
      // 300 s; a mesh split for minutes would place nothing on the other half.
      config.setProperty("hazelcast.merge.first.run.delay.seconds", Integer.toString(KUBERNETES_MERGE_DELAY_SECONDS));
      config.setProperty("hazelcast.merge.next.run.delay.seconds", Integer.toString(KUBERNETES_MERGE_DELAY_SECONDS));
      join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", kubernetesDns.get())
          .setProperty("service-port", Integer.toString(options.clusterPort()));
      return config;
    }
    List<String> members = options.members().isEmpty()
        ? List.of(options.host() + ":" + options.clusterPort())
        : options.members();
    join.getTcpIpConfig().setEnabled(true).setMembers(members);
    return config;
  }

  /**
   * Event-loop threads: PHANTOM_EVENT_LOOPS (or -Dphantom.eventLoops) when set to a positive number, else
   * Vert.x's default of two per core. A measurement knob: one loop made the bus hops of a warm run cheaper
   * but took throughput (see docs/design.md, "Where a run's time goes").
   */
  static int eventLoops(int cores) {
    String wanted = System.getProperty("phantom.eventLoops", System.getenv().getOrDefault("PHANTOM_EVENT_LOOPS", ""));
    try {
      int n = Integer.parseInt(wanted.trim());
      if (n > 0) {
        return n;
      }
    } catch (NumberFormatException notSet) {
      // fall through to the default
    }
    if (!wanted.isBlank()) {
      LOG.warning("PHANTOM_EVENT_LOOPS / phantom.eventLoops must be a positive number, not '" + wanted + "'; using "
          + 2 * cores);
    }
    return 2 * cores;
  }

  /**
   * epoll unless PHANTOM_TRANSPORT (or -Dphantom.transport) says io_uring or nio. io_uring is not the
   * default on purpose: with Netty 4.2.9 and Vert.x 5.0.7, HTTP/2 connections on it are dropped under
   * concurrent calls ("Connection was closed"; 469 of 800 unary calls from 4 clients failed in a bare
   * Vert.x gRPC probe, 0 on epoll and NIO). See docs/design.md.
   */
  static Transport chooseTransport() {
    String wanted = System.getProperty("phantom.transport", System.getenv().getOrDefault("PHANTOM_TRANSPORT", "epoll"));
    Transport chosen = switch (wanted) {
      case "io_uring" -> Transport.IO_URING;
      case "nio" -> Transport.NIO;
      default -> Transport.EPOLL;
    };
    if (chosen != null && chosen.available()) {
      LOG.fine(() -> wanted + " transport");
      return chosen;
    }
    Throwable cause = chosen == null ? null : chosen.unavailabilityCause();
    LOG.info(wanted + " transport unavailable, using NIO: " + (cause == null ? "not on the classpath" : cause.getMessage()));
    return Transport.NIO;
  }

  private static void logTransport(Vertx vertx) {
    LOG.fine(() -> "native transport: " + vertx.isNativeTransportEnabled());
  }

  private static final class LocalMembership implements Membership {
    private final String id = "local-" + UUID.randomUUID().toString().substring(0, 8);

    @Override
    public String selfId() {
      return id;
    }

    @Override
    public boolean clustered() {
      return false;
    }

    @Override
    public void onMemberLeft(Consumer<String> listener) {
      // A single-member mesh never loses a member.
    }
  }

  private static final class ClusterMembership implements Membership, NodeListener {
    private final HazelcastClusterManager manager;
    private final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

    ClusterMembership(HazelcastClusterManager manager) {
      this.manager = manager;
      manager.nodeListener(this);
    }

    @Override
    public String selfId() {
      return manager.getNodeId();
    }

    @Override
    public boolean clustered() {
      return true;
    }

    @Override
    public void onMemberLeft(Consumer<String> listener) {
      listeners.add(listener);
    }

    @Override
    public void nodeAdded(String nodeId) {
      LOG.fine(() -> "member joined: " + nodeId);
    }

    @Override
    public void nodeLeft(String nodeId) {
      LOG.info("member left: " + nodeId);
      listeners.forEach(listener -> listener.accept(nodeId));
    }
  }
}
