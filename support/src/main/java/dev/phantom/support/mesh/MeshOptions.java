package dev.phantom.support.mesh;

import java.util.List;

/**
 * How a node joins the mesh.
 *
 * @param clustered false (the default): local event bus only; true: a Hazelcast cluster on {@code host}
 * @param clusterName members with other names never join each other; tests use a random one
 * @param host address the cluster and the event bus bind to; loopback by default
 * @param clusterPort Hazelcast port; later members on one host take the next free ones
 * @param members {@code host:port} addresses to join through TCP-IP (multicast is always off)
 */
public record MeshOptions(boolean clustered, String clusterName, String host, int clusterPort, List<String> members) {

  public static final String DEFAULT_CLUSTER_NAME = "phantom";
  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_CLUSTER_PORT = 5701;

  public MeshOptions {
    members = members == null ? List.of() : List.copyOf(members);
  }

  public static MeshOptions embedded() {
    return new MeshOptions(false, DEFAULT_CLUSTER_NAME, DEFAULT_HOST, DEFAULT_CLUSTER_PORT, List.of());
  }

  public static MeshOptions cluster(String name, String host, int port, List<String> members) {
    return new MeshOptions(true, name, host, port, members);
  }
}
