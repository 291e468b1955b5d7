package dev.phantom.zygote.pool;

import dev.phantom.zygote.bwrap.BwrapLauncher;
import dev.phantom.zygote.bwrap.ForkServer;
import dev.phantom.zygote.bwrap.WarmSlot;
import dev.phantom.zygote.core.PoolMemory;
import dev.phantom.zygote.core.RefillDeferral;
import dev.phantom.zygote.core.ResourceLimits;
import dev.phantom.zygote.core.RunSpec;
import dev.phantom.zygote.core.SandboxProfile;
import dev.phantom.zygote.core.SlotAgent;
import dev.phantom.zygote.workspace.Workspaces;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Warm pools, one per profile: sandboxes made ahead of time, each waiting for exactly one job.
 *
 * <p>Threads: {@link #take} runs on the caller's worker thread and never blocks on a spawn. One refill thread
 * makes slots one at a time, so refilling never takes more than one core from running jobs; it also
 * discards slots above a pool's target and those of a profile whose policy changed. A pool above half its
 * target is refilled once the jobs of taken slots have ended ({@link RefillDeferral}).
 */
public final class WarmPools implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(WarmPools.class.getName());

  /** Before a slot of the pool was measured: what an idle slot costs, by agent (measured on Debian 12). */
  static long estimatedSlotBytes(SlotAgent agent) {
    return switch (agent) {
      case PYTHON -> 16L << 20;
      case NODE -> 48L << 20;
      case SHELL -> 1L << 20;
    };
  }

  /** How long a slot's profile is trusted before it is fetched again (a changed policy drains the pool). */
  private static final Duration PROFILE_TIMEOUT = Duration.ofSeconds(10);

  private final BwrapLauncher launcher;
  private final Function<String, CompletionStage<SandboxProfile>> profiles;
  private final Function<SandboxProfile, ResourceLimits> defaultLimits;
  private final HostMemory memory;
  private final double memoryShare;
  private final double shrinkPressure;
  private final MeterRegistry meters;
  private final Map<String, Pool> pools = new ConcurrentHashMap<>();
  private final Thread refiller;
  private final Object wake = new Object();
  private volatile boolean closed;
  private volatile double memoryPressure;
  private final AtomicLong slotSeq = new AtomicLong();
  /** Tells this run's slots from a killed predecessor's, whose leftovers the next start removes by name. */
  private final String instance = java.util.HexFormat.of().formatHex(
      java.nio.ByteBuffer.allocate(4).putInt(new java.security.SecureRandom().nextInt()).array());
  private static final Duration SWEEP_EVERY = Duration.ofSeconds(1);
  private long lastSweepNanos = System.nanoTime();
  /** Slots taken whose job has not ended (released its sandbox) yet. */
  private final AtomicInteger jobsRunning = new AtomicInteger();
  private volatile long lastTakeNanos = System.nanoTime() - RefillDeferral.MAX_WAIT.toNanos();

  /**
   * @param profiles fetches a compiled profile by name
   * @param defaultLimits the limits a request without any gets under a profile: what slots are made with
   */
  public WarmPools(BwrapLauncher launcher, Function<String, CompletionStage<SandboxProfile>> profiles,
      Function<SandboxProfile, ResourceLimits> defaultLimits, HostMemory memory, double memoryShare,
      double shrinkPressure, MeterRegistry meters) {
    this.launcher = launcher;
    this.profiles = profiles;
    this.defaultLimits = defaultLimits;
    this.memory = memory;
    this.memoryShare = memoryShare;
    this.shrinkPressure = shrinkPressure;
    this.meters = meters;
    this.refiller = Thread.ofPlatform().name("zygote-pool-refill").daemon(true).unstarted(this::refillLoop);
  }

  public void start() {
    refiller.start();
  }

  /** One profile's pool. */
  private final class Pool {
    final String profile;
    final SlotAgent agent;
    final Deque<WarmSlot> idle = new ConcurrentLinkedDeque<>();
    volatile int target;
    volatile long slotBytes;
    volatile SandboxProfile compiled;
    volatile long compiledAtNanos;
    volatile String lastFailure = "";
    /** Slots that died young or could not be made, in a row; each doubles the wait before the next try. */
    volatile int failures;
    volatile long nextAttemptNanos;
    /** Forks this pool's slots when it is a Python pool (see {@link #makeSlot}); null until the first. */
    volatile ForkServer server;
    /** Set when a fork server could not start: the pool spawns each slot instead, for good. */
    volatile boolean forkUnavailable;
    final Counter hits;
    final Timer refill;

    Pool(String profile, SlotAgent agent) {
      this.profile = profile;
      this.agent = agent;
      this.slotBytes = estimatedSlotBytes(agent);
      this.hits = Counter.builder("phantom.zygote.pool.hits").tag("profile", profile)
          .description("Runs that took a warm slot").register(meters);
      this.refill = Timer.builder("phantom.zygote.pool.refill").tag("profile", profile)
          .description("Time to make one warm slot").register(meters);
      Gauge.builder("phantom.zygote.pool.size", idle, Deque::size).tag("profile", profile)
          .description("Idle warm slots").register(meters);
      Gauge.builder("phantom.zygote.pool.target", this, p -> p.target).tag("profile", profile)
          .description("Warm slots the pool keeps").register(meters);
    }
  }

  /** What a pool looks like now. */
  public record PoolState(String profile, SlotAgent agent, int target, int idle, int ceiling, long slotBytes,
      long hits, String lastFailure) {}

  /**
   * Sets how many warm slots {@code profile} keeps (0 empties the pool).
   *
   * @throws PoolException {@code TOO_LARGE} with the computed ceiling when memory does not allow {@code size}
   */
  public PoolState resize(String profile, int size, SlotAgent agent) {
    check(profile, size, agent);
    Pool pool = pools.computeIfAbsent(profile, name -> new Pool(name, agent));
    pool.target = size;
    pool.failures = 0;
    pool.nextAttemptNanos = 0; // an operator's resize tries again at once
    signal();
    return state(pool);
  }

  /** Throws what {@link #resize} would, changing nothing. */
  public void check(String profile, int size, SlotAgent agent) {
    if (size < 0) {
      throw new PoolException(PoolException.Reason.INVALID, "pool size of " + profile + " must be >= 0, got " + size);
    }
    Pool existing = pools.get(profile);
    if (existing != null && existing.agent != agent && size > 0) {
      throw new PoolException(PoolException.Reason.INVALID, "the pool of " + profile + " holds " + name(existing.agent)
          + " slots; set its size to 0 before changing the agent to " + name(agent));
    }
    long slotBytes = existing == null ? estimatedSlotBytes(agent) : existing.slotBytes;
    int ceiling = ceiling(profile, slotBytes);
    if (size > ceiling) {
      throw new PoolException(PoolException.Reason.TOO_LARGE, "a pool of " + size + " " + profile
          + " slots does not fit in memory: at most " + ceiling + " (idle slots may hold "
          + Math.round(memoryShare * 100) + "% of available memory; one " + profile + " slot takes about "
          + (slotBytes >> 10) + " KiB)");
    }
  }

  public List<PoolState> states() {
    return pools.values().stream().map(this::state).sorted(java.util.Comparator.comparing(PoolState::profile)).toList();
  }

  /** Idle warm slots by profile, for the node report. */
  public Map<String, Integer> idleByProfile() {
    Map<String, Integer> out = new HashMap<>();
    pools.forEach((name, pool) -> out.put(name, pool.idle.size()));
    return out;
  }

  /** Host pids of the idle slots of {@code profile} (their bubblewrap processes), for memory figures and tests. */
  /** True when the pool of {@code profile} forks its slots (jobs' files travel in their job line). */
  public boolean forksSlots(String profile) {
    Pool pool = pools.get(profile);
    return pool != null && pool.server != null;
  }

  /** The bubblewrap process of a pool's fork server, or -1 when it has none (for tests and measurements). */
  public int forkServerPid(String profile) {
    Pool pool = pools.get(profile);
    ForkServer server = pool == null ? null : pool.server;
    return server == null || !server.alive() ? -1 : server.pid();
  }

  public List<Integer> idlePids(String profile) {
    Pool pool = pools.get(profile);
    return pool == null ? List.of() : pool.idle.stream().map(WarmSlot::pid).toList();
  }

  private PoolState state(Pool pool) {
    return new PoolState(pool.profile, pool.agent, pool.target, pool.idle.size(), ceiling(pool), pool.slotBytes,
        (long) pool.hits.count(), pool.lastFailure);
  }

  private int ceiling(Pool pool) {
    return ceiling(pool.profile, pool.slotBytes);
  }

  private int ceiling(String profile, long slotBytes) {
    Map<String, Long> held = new HashMap<>();
    pools.forEach((name, p) -> held.put(name, p.slotBytes * p.idle.size()));
    return PoolMemory.ceiling(profile, memory.availableBytes(), memoryShare, slotBytes, held);
  }

  /**
   * A live warm slot that can run {@code job} under {@code profile}, or empty (the caller spawns cold). The
   * reason for a miss is counted. A slot taken is the caller's: start it or discard it.
   */
  public Optional<WarmSlot> take(SandboxProfile profile, RunSpec job) {
    Pool pool = pools.get(profile.name());
    if (pool == null || pool.target == 0) {
      return miss(profile.name(), "no_pool");
    }
    if (!job.hostWorkspace().isEmpty()) {
      return miss(profile.name(), "host_workspace");
    }
    while (true) {
      WarmSlot slot = pool.idle.pollFirst();
      if (slot == null) {
        signal();
        return miss(profile.name(), "empty");
      }
      if (!slot.profile().digest().equals(profile.digest()) || !slot.profile().mounts().equals(profile.mounts())) {
        slot.discard(); // the policy changed since the slot was made, or its image tag moved
        continue;
      }
      if (!slot.agent().limits().equals(job.limits())) {
        pool.idle.addFirst(slot); // fine for the next request with default limits
        return miss(profile.name(), "limits");
      }
      if (!slot.canRun(job)) {
        pool.idle.addFirst(slot);
        return miss(profile.name(), "workspace");
      }
      if (!slot.alive()) {
        LOG.warning("a warm slot of " + profile.name() + " died while it waited; it is replaced");
        deadSlot(profile.name());
        slot.discard();
        continue;
      }
      pool.hits.increment();
      pool.failures = 0; // a slot lived until a job came: the pool works
      jobsRunning.incrementAndGet();
      lastTakeNanos = System.nanoTime();
      slot.whenEnded(() -> {
        jobsRunning.decrementAndGet();
        signal();
      });
      if (!refillWaits(pool)) {
        signal();
      }
      return Optional.of(slot);
    }
  }

  private Optional<WarmSlot> miss(String profile, String reason) {
    Counter.builder("phantom.zygote.pool.misses").tag("profile", profile).tag("reason", reason)
        .description("Runs that found no warm slot and started cold").register(meters).increment();
    return Optional.empty();
  }

  /** Memory pressure (PSI some avg10, percent), read by the node's report timer. */
  public void pressure(double someAvg10) {
    boolean wasShrunk = memoryPressure > shrinkPressure;
    memoryPressure = someAvg10;
    if (wasShrunk != someAvg10 > shrinkPressure) {
      LOG.info("memory pressure " + someAvg10 + "%: warm pools " + (someAvg10 > shrinkPressure ? "shrink to half" : "grow back"));
      signal();
    }
  }

  private void signal() {
    synchronized (wake) {
      wake.notifyAll();
    }
  }

  private void refillLoop() {
    while (!closed) {
      boolean worked = false;
      try {
        if (System.nanoTime() - lastSweepNanos > SWEEP_EVERY.toNanos()) {
          sweepDead();
        }
        detachWorkspaces();
        for (Pool pool : pools.values()) {
          worked |= tend(pool);
        }
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "warm pool refill failed", e);
      }
      if (!worked) {
        synchronized (wake) {
          try {
            wake.wait(!mountedWorkspaces.isEmpty() ? DETACH_POLL_MS
                : jobsRunning.get() > 0 ? RefillDeferral.MAX_WAIT.toMillis() : 1000);
          } catch (InterruptedException e) {
            return;
          }
        }
      }
    }
  }

  /**
   * New slots whose workspace is still mounted on the host, oldest first (refill thread only): each is
   * detached as soon as its sandbox has bound it, a few milliseconds after it was made, so the host's mount
   * table holds one or two of them at a time instead of one per idle slot.
   */
  private final Deque<WarmSlot> mountedWorkspaces = new ArrayDeque<>();

  /** How often the refill thread looks again while a new slot's sandbox is still making its mounts. */
  private static final long DETACH_POLL_MS = 2;

  /** A sandbox that has not made its mounts by then never will (it is stuck or dying): left as it is. */
  private static final Duration DETACH_GIVE_UP = Duration.ofSeconds(10);

  /** False once a slot's mounts could be seen neither from its root nor from its cgroup: slots keep their mount. */
  private boolean canDetach = true;

  private void detachWorkspaces() {
    mountedWorkspaces.removeIf(slot -> {
      if (!canDetach) {
        return true;
      }
      Workspaces.Workspace.Bound bound = slot.detachWorkspace();
      if (bound == Workspaces.Workspace.Bound.CANNOT_TELL) {
        canDetach = false;
        LOG.warning("this zygote can tell neither from the sandboxes' roots (no CAP_SYS_PTRACE?) nor from their "
            + "cgroups when a slot's workspace is bound: warm slots keep it mounted on the host, which makes every "
            + "sandbox start a little slower per idle slot");
      }
      return bound != Workspaces.Workspace.Bound.NOT_YET
          || System.nanoTime() - slot.readyNanos() > DETACH_GIVE_UP.toNanos();
    });
  }

  private boolean refillWaits(Pool pool) {
    return RefillDeferral.waits(pool.idle.size(), PoolMemory.effectiveTarget(pool.target, memoryPressure, shrinkPressure),
        jobsRunning.get(), Duration.ofNanos(System.nanoTime() - lastTakeNanos));
  }

  /** Replaces idle slots that died while they waited (killed from outside, their agent crashed). */
  private void sweepDead() {
    lastSweepNanos = System.nanoTime();
    for (Pool pool : pools.values()) {
      for (WarmSlot slot : List.copyOf(pool.idle)) {
        if (!slot.alive() && pool.idle.remove(slot)) {
          LOG.warning("a warm slot of " + pool.profile + " died while it waited; it is replaced");
          if (System.nanoTime() - slot.readyNanos() < Duration.ofSeconds(5).toNanos()) {
            backOff(pool, "slots of " + pool.profile + " die right after they start (is the agent's interpreter "
                + "in the profile?)");
          }
          deadSlot(pool.profile);
          slot.discard();
        }
      }
    }
  }

  private void deadSlot(String profile) {
    Counter.builder("phantom.zygote.pool.dead").tag("profile", profile)
        .description("Warm slots found dead before they were used").register(meters).increment();
  }

  /** Makes or discards at most one slot of {@code pool}; true when it did something. */
  private boolean tend(Pool pool) {
    int target = PoolMemory.effectiveTarget(pool.target, memoryPressure, shrinkPressure);
    if (pool.idle.size() > target) {
      WarmSlot extra = pool.idle.pollLast();
      if (extra != null) {
        extra.discard();
      }
      return true;
    }
    if (pool.idle.size() == target || System.nanoTime() < pool.nextAttemptNanos || refillWaits(pool)) {
      return false;
    }
    SandboxProfile profile;
    try {
      profile = currentProfile(pool);
    } catch (Exception e) {
      backOff(pool, "fetching profile " + pool.profile + " failed: " + e.getMessage());
      return false;
    }
    long started = System.nanoTime();
    RunSpec agent = new RunSpec("slot-" + pool.profile + "-" + instance + "-" + slotSeq.incrementAndGet(), pool.agent.argv(),
        new byte[0], Map.of(), Duration.ofDays(1), 0).withLimits(defaultLimits.apply(profile));
    try {
      WarmSlot slot = makeSlot(pool, profile, agent);
      pool.refill.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
      if (pool.idle.isEmpty() || pool.slotBytes == estimatedSlotBytes(pool.agent)) {
        measureLater(pool, slot);
      }
      pool.idle.addLast(slot);
      if (canDetach) {
        mountedWorkspaces.addLast(slot);
      }
      pool.lastFailure = "";
      return true;
    } catch (RuntimeException e) {
      backOff(pool, e.getMessage()); // bubblewrap missing, profile broken: do not spin
      return false;
    }
  }

  /**
   * Python pools fork their slots from one preloaded server per pool, so that idle slots share its pages;
   * other pools, image profiles (their tree may move under a server), hosts without cgroups (a forked
   * slot is placed and killed through its group) and pools whose server could not start spawn each slot.
   * Off with {@code -Dphantom.zygote.forkServer=false}.
   */
  private WarmSlot makeSlot(Pool pool, SandboxProfile profile, RunSpec agent) {
    boolean forkable = forkServers && pool.agent == SlotAgent.PYTHON && !pool.forkUnavailable
        && launcher.cgroups().enforced() && profile.image().isEmpty();
    if (!forkable) {
      return launcher.prepareSlot(profile, agent, pool.agent);
    }
    ForkServer server = pool.server;
    if (server == null || !server.alive() || !server.profile().digest().equals(profile.digest())) {
      if (server != null) {
        server.close();
      }
      pool.server = null;
      RunSpec own = new RunSpec(agent.runId() + "-server", pool.agent.argv(), new byte[0], Map.of(),
          Duration.ofDays(1), 0).withLimits(agent.limits());
      try {
        server = launcher.startForkServer(profile, own);
      } catch (RuntimeException e) {
        pool.forkUnavailable = true;
        LOG.warning("warm pool " + pool.profile + ": its fork server did not start (" + e.getMessage()
            + "); the pool spawns each slot instead");
        return launcher.prepareSlot(profile, agent, pool.agent);
      }
      pool.server = server;
    }
    return server.forkSlot(agent);
  }

  private volatile boolean forkServers = !"false".equals(System.getProperty("phantom.zygote.forkServer"));

  /** Whether Python pools made from now on fork their slots (on unless the system property says false). */
  public void forkServers(boolean on) {
    forkServers = on;
  }

  /** Waits 1, 2, 4 ... 60 s before the pool tries again, logging once per failure. */
  private void backOff(Pool pool, String why) {
    int failures = Math.min(pool.failures + 1, 7);
    pool.failures = failures;
    long waitMs = Math.min(60_000, 1000L << (failures - 1));
    pool.nextAttemptNanos = System.nanoTime() + waitMs * 1_000_000;
    pool.lastFailure = why;
    LOG.warning("warm pool " + pool.profile + ": " + why + "; next try in " + waitMs + " ms");
  }

  /** An agent's memory is only what it holds once it waits: measured a little after it was made. */
  private void measureLater(Pool pool, WarmSlot slot) {
    Thread.ofVirtual().start(() -> {
      sleepQuietly(slot.kind() == SlotAgent.SHELL ? 300 : 1500);
      long bytes = memory.treePssBytes(slot.pid());
      if (bytes > 0) {
        pool.slotBytes = bytes;
      }
    });
  }

  private SandboxProfile currentProfile(Pool pool) throws Exception {
    SandboxProfile cached = pool.compiled;
    if (cached != null && System.nanoTime() - pool.compiledAtNanos < PROFILE_TIMEOUT.toNanos()) {
      return cached;
    }
    SandboxProfile fresh = profiles.apply(pool.profile).toCompletableFuture().get(PROFILE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    if (cached != null && !cached.digest().equals(fresh.digest())) {
      LOG.info("profile " + pool.profile + " changed: its warm slots are replaced");
      for (WarmSlot stale; (stale = pool.idle.pollFirst()) != null; ) {
        stale.discard();
      }
      closeServer(pool);
    }
    pool.compiled = fresh;
    pool.compiledAtNanos = System.nanoTime();
    return fresh;
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String name(SlotAgent agent) {
    return agent.name().toLowerCase();
  }

  /** Stops refilling and destroys every idle slot. */
  @Override
  public void close() {
    closed = true;
    refiller.interrupt();
    try {
      refiller.join(5000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    List<WarmSlot> all = new ArrayList<>();
    for (Pool pool : pools.values()) {
      pool.target = 0;
      for (WarmSlot slot; (slot = pool.idle.pollFirst()) != null; ) {
        all.add(slot);
      }
    }
    all.forEach(WarmSlot::discard);
    pools.values().forEach(WarmPools::closeServer);
  }

  private static void closeServer(Pool pool) {
    ForkServer server = pool.server;
    pool.server = null;
    if (server != null) {
      server.close();
    }
  }
}
