package dev.phantom.zygote;

import dev.phantom.support.HostArch;
import dev.phantom.support.ServiceContext;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.zygote.bus.ProtoMapping;
import dev.phantom.zygote.bus.PoolBusEndpoint;
import dev.phantom.zygote.bus.SessionBusEndpoint;
import dev.phantom.proto.zygote.v1.NodeReport;
import dev.phantom.zygote.host.HostPressure;
import dev.phantom.zygote.host.NumaLayout;
import dev.phantom.zygote.pool.HostMemory;
import dev.phantom.zygote.pool.PoolException;
import dev.phantom.zygote.pool.WarmPools;
import dev.phantom.zygote.bus.ZygoteBusEndpoint;
import dev.phantom.zygote.session.SessionManager;
import dev.phantom.zygote.image.BusImageSource;
import dev.phantom.zygote.image.ImageProfiles;
import dev.phantom.zygote.image.NodeImages;
import dev.phantom.zygote.bwrap.BwrapInstallation;
import dev.phantom.zygote.bwrap.BwrapLauncher;
import dev.phantom.zygote.bwrap.LibC;
import dev.phantom.zygote.cgroup.Cgroups;
import dev.phantom.zygote.core.SandboxCgroups;
import dev.phantom.zygote.workspace.StateDir;
import dev.phantom.zygote.workspace.Workspaces;
import java.nio.file.Path;
import java.util.Optional;
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
  private StateDir stateDir;
  private Optional<String> notReady = Optional.empty();
  private ZygoteBusEndpoint endpoint;
  private SessionManager sessions;
  private SessionBusEndpoint sessionEndpoint;
  private WarmPools pools;
  private NodeImages images;
  private PoolBusEndpoint poolEndpoint;
  private dev.phantom.zygote.bus.ChunkPeerEndpoint chunkPeers;
  private final HostMemory memory = new HostMemory();
  private HostPressure pressure;
  private long reportTimer = -1;
  private long lastReportNanos;

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
      Setup setup = setUp(config, nodeId);
      stateDir = setup.stateDir();
      notReady = setup.notReady();
      images = NodeImages.open(vertx, stateDir.images(), new BusImageSource(vertx.eventBus()),
          BwrapLauncher.runningAsRoot(), service.meters(),
          dev.phantom.zygote.image.CacheLimit.of(config.imageCacheBytes()), InstantSource.system());
      return setup.launcher();
    }).compose(created -> {
      launcher = created;
      endpoint = new ZygoteBusEndpoint(vertx, nodeId, HostArch.current(), config, launcher, notReady,
          service.meters(), InstantSource.system());
      endpoint.useImages(new ImageProfiles(images, vertx, config.profileCacheMs(), InstantSource.system(),
          config.imagePrepareWaitMs(), nodeId));
      int[] chownTo = BwrapLauncher.runningAsRoot() ? new int[] {config.sandboxUid(), config.sandboxGid()} : null;
      sessions = new SessionManager(vertx, nodeId, config, launcher, stateDir.sessions(), chownTo,
          endpoint::sandboxProfile, notReady, service.meters(), InstantSource.system(),
          new java.security.SecureRandom());
      // Snapshots go to whichever store node serves phantom.store.*; restores come from this node's image
      // cache, owned by the sandbox user so that a fork may change what it restored.
      NodeImages.Owner snapshotOwner = chownTo == null ? null : new NodeImages.Owner(chownTo[0], chownTo[1]);
      sessions.enableSnapshots(new dev.phantom.zygote.snapshot.Snapshots(vertx,
          new dev.phantom.zygote.snapshot.BusSnapshotStore(vertx.eventBus()),
          hex -> images.materialize(hex, snapshotOwner)));
      endpoint.countSessions(sessions::live, config.maxSessions());
      sessions.useImages(images);
      pools = new WarmPools(launcher, name -> endpoint.sandboxProfile(name).toCompletionStage(),
          profile -> ProtoMapping.limits(dev.phantom.api.v1.ResourceLimits.getDefaultInstance(), profile), memory,
          config.poolMemoryShare(), config.poolShrinkPressure(), service.meters());
      if (notReady.isEmpty()) {
        sizePools(nodeId);
        pools.start();
      }
      endpoint.usePools(pools);
      poolEndpoint = new PoolBusEndpoint(vertx.eventBus(), nodeId, pools);
      sessionEndpoint = new SessionBusEndpoint(vertx.eventBus(), nodeId, sessions);
      sessions.start();
      // The store asks every node's cache for chunks it found corrupt (docs/fragment-store.md, "Reads").
      chunkPeers = new dev.phantom.zygote.bus.ChunkPeerEndpoint(vertx.eventBus(), nodeId, images);
      return Future.all(endpoint.register(), sessionEndpoint.register(), poolEndpoint.register(), chunkPeers.register());
    }).onFailure(e -> {
      if (images != null) {
        images.close();
      }
      if (stateDir != null) {
        stateDir.close();
      }
    }).onSuccess(v -> {
      pressure = new HostPressure(Path.of(config.pressureDir()), memory);
      LOG.info("zygote on node " + nodeId + ": " + NumaLayout.read(NumaLayout.SYSFS).describe());
      publishReport();
      reportTimer = vertx.setPeriodic(config.reportIntervalMs(), id -> publishReport());
      // A spike reported at once, not at the next tick; at most one extra report per 100 ms.
      io.vertx.core.Context loop = vertx.getOrCreateContext();
      pressure.watch(() -> loop.runOnContext(x -> {
        long waitMs = 100 - (System.nanoTime() - lastReportNanos) / 1_000_000;
        if (waitMs <= 0) {
          publishReport();
        } else {
          vertx.setTimer(waitMs, t -> publishReport());
        }
      }));
    });
  }

  /** What a started zygote runs with. */
  public record Setup(BwrapLauncher launcher, StateDir stateDir, Optional<String> notReady) {}

  /**
   * Blocking: finds bubblewrap, takes the state dir, detects cgroups, and removes what an earlier zygote
   * with the same state dir left behind (processes, cgroups, mounts, workspaces).
   */
  public static Setup setUp(ZygoteConfig config, String nodeId) throws java.io.IOException {
    BwrapInstallation installation = BwrapInstallation.detect(config.bwrapPath(), BwrapLauncher.runningAsRoot(), nodeId);
    boolean root = BwrapLauncher.runningAsRoot();
    // The lock makes this zygote the only owner of the state dir: what is in it now is left over.
    StateDir stateDir = StateDir.open(config.stateDir().map(Path::of).orElseGet(() -> StateDir.defaultPath(LibC.get().getuid())));
    Workspaces workspaces = new Workspaces(stateDir.workspaces(), root, config.sandboxUid(), config.sandboxGid());
    SandboxCgroups cgroups = SandboxCgroups.NONE;
    Optional<String> problem = installation.problem();
    if (!config.cgroups().equals("off")) {
      Cgroups.Detected detected = Cgroups.detect(stateDir.cgroupParentName());
      cgroups = detected.cgroups();
      if (detected.problem().isPresent()) {
        String text = "no per-sandbox cgroups on node " + nodeId + " (" + detected.problem().get()
            + "): memory, pids and CPU limits are not enforced";
        if (config.cgroups().equals("required") && problem.isEmpty()) {
          problem = Optional.of(text + "; zygote.cgroups=required");
        } else {
          LOG.warning(text);
        }
      }
    }
    int groups = cgroups.removeLeftovers();
    int dirs = workspaces.removeLeftovers();
    int sessionDirs = stateDir.removeSessionLeftovers();
    if (groups + dirs + sessionDirs > 0) {
      LOG.warning("zygote on node " + nodeId + " removed leftovers of an earlier run: " + groups + " cgroups, "
          + dirs + " workspaces, " + sessionDirs + " session directories");
    }
    LOG.info("zygote on node " + nodeId + ": state in " + stateDir.path() + ", cgroups: " + cgroups.describe());
    problem.ifPresent(p -> LOG.warning("zygote on node " + nodeId + " is not ready: " + p));
    BwrapLauncher launcher = new BwrapLauncher(installation, config.sandboxUid(), config.sandboxGid(), cgroups, workspaces);
    if (problem.isEmpty()) {
      launcher.parkLaunchers(config.launchers());
    }
    return new Setup(launcher, stateDir, problem);
  }

  /** The configured pools; one too large for memory gets the ceiling instead, with a warning. */
  private void sizePools(String nodeId) {
    for (ZygoteConfig.PoolSetting pool : config.pools()) {
      try {
        pools.resize(pool.profile(), pool.size(), pool.agent());
      } catch (PoolException e) {
        int ceiling = pools.states().stream().filter(s -> s.profile().equals(pool.profile())).findFirst()
            .map(WarmPools.PoolState::ceiling).orElse(0);
        LOG.warning("zygote on node " + nodeId + ": " + e.getMessage() + "; the pool keeps " + ceiling);
        try {
          pools.resize(pool.profile(), ceiling, pool.agent());
        } catch (PoolException again) {
          LOG.warning("zygote on node " + nodeId + ": no warm pool for " + pool.profile() + ": " + again.getMessage());
        }
      }
    }
  }

  private void publishReport() {
    lastReportNanos = System.nanoTime();
    NodeReport.Builder report = pressure.fill(endpoint.report().toBuilder());
    if (pools != null) {
      pools.pressure(pressure.memorySome(report));
    }
    BusRpc.publish(vertx.eventBus(), Addresses.ZYGOTE_REPORT, report.build());
  }

  @Override
  public Future<?> stop() {
    if (reportTimer >= 0) {
      vertx.cancelTimer(reportTimer);
    }
    if (pressure != null) {
      pressure.close();
    }
    if (endpoint == null) {
      if (stateDir != null) {
        stateDir.close();
      }
      return Future.succeededFuture();
    }
    endpoint.killAll();
    Future<Void> poolsGone = poolEndpoint == null ? Future.succeededFuture() : poolEndpoint.unregister();
    Future<Void> peersGone = chunkPeers == null ? Future.succeededFuture() : chunkPeers.unregister();
    return Future.join(endpoint.unregister(), sessionEndpoint.unregister(), poolsGone, peersGone)
        .eventually(() -> sessions.stopAll().timeout(config.shutdownGraceMs() + 5_000, java.util.concurrent.TimeUnit.MILLISECONDS))
        .eventually(() -> vertx.executeBlocking(() -> {
          if (pools != null) {
            pools.close();
          }
          launcher.shutdown(Duration.ofMillis(config.shutdownGraceMs()));
          images.close();
          stateDir.close();
          return null;
        }));
  }
}
