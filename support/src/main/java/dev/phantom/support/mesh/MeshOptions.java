package dev.phantom.support.mesh;

import java.util.List;
import java.util.Optional;

/**
 * How a node joins the mesh.
 *
 * @param clustered false (the default): local event bus only; true: a Hazelcast cluster on {@code host}
 * @param clusterName members with other names never join each other; tests use a random one
 * @param host address the cluster and the event bus bind to; loopback by default
 * @param clusterPort Hazelcast port; later members on one host take the next free ones
 * @param members {@code host:port} addresses to join through TCP-IP (multicast is always off), or a
 *     single {@code kubernetes:SERVICE_DNS}: the members are the addresses that DNS name resolves to,
 *     which is what a headless Service gives on Kubernetes (see docs/deploy-kubernetes.md)
 */
public record MeshOptions(boolean clustered, String clusterName, String host, int clusterPort, List<String> members) {

  public static final String DEFAULT_CLUSTER_NAME = "phantom";
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_CLUSTER_PORT = 5701;
  /** Prefix of the one {@code members} entry that asks for Kubernetes DNS discovery. */
  public static final String KUBERNETES_PREFIX = "kubernetes:";

  public MeshOptions {
    members = members == null ? List.of() : List.copyOf(members);
  }

  /**
   * The service DNS name when {@code members} asks for Kubernetes discovery, else empty.
   *
   * @throws IllegalArgumentException when the kubernetes entry is empty or mixed with TCP members:
   *     a node cannot be told to use two discovery mechanisms at once
   */
  public Optional<String> kubernetesServiceDns() {
    List<String> kubernetes = members.stream().filter(m -> m.startsWith(KUBERNETES_PREFIX)).toList();
    if (kubernetes.isEmpty()) {
      return Optional.empty();
    }
    String dns = kubernetes.get(0).substring(KUBERNETES_PREFIX.length()).strip();
    if (members.size() > 1 || dns.isEmpty()) {
      throw new IllegalArgumentException("join through Kubernetes takes one entry, kubernetes:SERVICE_DNS"
          + " (for example kubernetes:phantom-cluster.phantom.svc.cluster.local), and no other member: " + members);
    }
    return Optional.of(dns);
  }

  public static MeshOptions embedded() {
    return new MeshOptions(false, DEFAULT_CLUSTER_NAME, DEFAULT_HOST, DEFAULT_CLUSTER_PORT, List.of());
  }

  public static MeshOptions cluster(String name, String host, int port, List<String> members) {
    return new MeshOptions(true, name, host, port, members);
  }
}
