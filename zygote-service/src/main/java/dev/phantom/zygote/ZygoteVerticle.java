package dev.phantom.zygote;

import dev.phantom.support.HostArch;
import dev.phantom.support.ServiceContext;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.zygote.bus.ZygoteBusEndpoint;
import dev.phantom.zygote.bwrap.BwrapInstallation;
import dev.phantom.zygote.bwrap.BwrapLauncher;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Duration;
import java.time.InstantSource;
import java.util.logging.Logger;

/** Wiring of the zygote role: config, bubblewrap detection, the bus endpoint, the node report timer. */
public final class ZygoteVerticle extends VerticleBase {

  private static final Logger LOG = Logger.getLogger(ZygoteVerticle.class.getName());

  private final ServiceContext service;
  private ZygoteConfig config;
  private BwrapLauncher launcher;
  private ZygoteBusEndpoint endpoint;
  private long reportTimer = -1;

  public ZygoteVerticle(ServiceContext service) {
    this.service = service;
  }

  @Override
  public Future<?> start() {
    try {
      config = ZygoteConfig.fromJson(service.config());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    String nodeId = service.nodeId();
    return vertx.executeBlocking(() -> {
      BwrapInstallation installation = BwrapInstallation.detect(config.bwrapPath(), BwrapLauncher.runningAsRoot(), nodeId);
      installation.problem().ifPresent(p -> LOG.warning("zygote on node " + nodeId + " is not ready: " + p));
      return new BwrapLauncher(installation, config.sandboxUid(), config.sandboxGid());
    }).compose(created -> {
      launcher = created;
      endpoint = new ZygoteBusEndpoint(vertx, nodeId, HostArch.current(), config, launcher, launcher.installation().problem(),
          service.meters(), InstantSource.system());
      return endpoint.register();
    }).onSuccess(v -> {
      publishReport();
      reportTimer = vertx.setPeriodic(config.reportIntervalMs(), id -> publishReport());
    });
  }

  private void publishReport() {
    BusRpc.publish(vertx.eventBus(), Addresses.ZYGOTE_REPORT, endpoint.report());
  }

  @Override
  public Future<?> stop() {
    if (reportTimer >= 0) {
      vertx.cancelTimer(reportTimer);
    }
    if (endpoint == null) {
      return Future.succeededFuture();
    }
    endpoint.killAll();
    return endpoint.unregister()
        .eventually(() -> vertx.executeBlocking(() -> {
          launcher.shutdown(Duration.ofMillis(config.shutdownGraceMs()));
          return null;
        }));
  }
}
