package dev.phantom.loadtest;

import java.util.regex.Pattern;

/**
 * Whether the deployment has warm pools: the gateway reports them as a {@code phantom_*pool*} metric
 * or as a {@code pool...} field of a node in /ready. Until a build does, the warm row of the spawn
 * table says "pools not available in this build" instead of a figure.
 */
final class Pools {

  private static final Pattern METRIC = Pattern.compile("(?m)^phantom_\\w*pool\\w*[ {]");
  private static final Pattern READY_FIELD = Pattern.compile("\"pool\\w*\"\\s*:");

  private Pools() {}

  static boolean reported(Deployment d) {
    return inMetrics(d.http("/metrics")) || inReady(d.http("/ready"));
  }

  static boolean inMetrics(String metrics) {
    return metrics != null && METRIC.matcher(metrics).find();
  }

  static boolean inReady(String ready) {
    return ready != null && READY_FIELD.matcher(ready).find();
  }
}
