package dev.phantom.orchestrator.core;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Warm-pool sizes per node and profile. Not thread-safe: one event loop owns it.
 *
 * <p>The request rate of each (node, profile) is an exponentially weighted moving average in
 * continuous time: each request adds {@code 1/tau} and the sum decays by {@code e^(-dt/tau)}, so a
 * steady stream of r requests a second reads r, and a profile nobody uses fades to zero without a
 * timer. By Little's law a pool refilled in time T needs {@code rate x T} slots to absorb the requests
 * that arrive while one slot is being refilled; {@code headroom} covers bursts above the mean. The
 * node's spawn p99 is T, since refilling a slot is a spawn. The sum over a node's profiles is capped
 * by the memory it can spare, and shrunk in proportion when it does not fit.
 */
public final class PoolSizer {

  /**
   * @param tau time constant of the rate average: longer is steadier, shorter follows bursts sooner
   * @param headroom multiplier over the Little's-law size
   * @param idleRate below this many requests a second a profile gets no pool at all
   * @param maxPerProfile cap of one pool, whatever the rate
   * @param memoryShare share of a node's free memory warm slots may take
   * @param defaultRefill refill time to assume while a node has not reported spawn latencies yet
   */
  public record Options(Duration tau, double headroom, double idleRate, int maxPerProfile, double memoryShare,
      Duration defaultRefill) {

    public static final Options DEFAULTS =
        new Options(Duration.ofSeconds(30), 2.0, 0.05, 64, 0.25, Duration.ofMillis(100));

    public Options {
      if (tau.isNegative() || tau.isZero() || headroom < 1 || idleRate < 0 || maxPerProfile < 0
          || !(memoryShare >= 0 && memoryShare <= 1) || defaultRefill.isNegative()) {
        throw new IllegalArgumentException("pool sizing needs tau > 0, headroom >= 1, idleRate >= 0,"
            + " maxPerProfile >= 0, memoryShare in [0, 1] and defaultRefill >= 0: " + this);
      }
    }
  }

  /** The command sent to a zygote node: keep {@code size} warm sandboxes of {@code profile}. */
  public record PoolSize(String nodeId, String profile, int size) {}

  private record Key(String nodeId, String profile) {}

  private static final class Rate {
    double value;
    Instant at;
  }

  private final Options options;
  private final InstantSource clock;
  private final Map<Key, Rate> rates = new HashMap<>();

  public PoolSizer(Options options, InstantSource clock) {
    this.options = options;
    this.clock = clock;
  }

  /** One request for {@code profile} was placed on {@code nodeId}. */
  public void observe(String nodeId, String profile) {
    Instant now = clock.instant();
    Rate rate = rates.computeIfAbsent(new Key(nodeId, profile), k -> new Rate());
    rate.value = decayed(rate, now) + 1 / seconds(options.tau());
    rate.at = now;
  }

  /** Requests a second for {@code profile} on {@code nodeId}, as of now. */
  public double rate(String nodeId, String profile) {
    Rate rate = rates.get(new Key(nodeId, profile));
    return rate == null ? 0 : decayed(rate, clock.instant());
  }

  /** Forgets a node that left. */
  public void forget(String nodeId) {
    rates.keySet().removeIf(key -> key.nodeId().equals(nodeId));
  }

  /**
   * Pool sizes for every profile seen on this node or warm there now, in profile order.
   *
   * @param slotMemoryBytes what one warm slot of a profile holds; profiles missing here cost nothing
   */
  public List<PoolSize> decide(NodePressure node, Map<String, Long> slotMemoryBytes) {
    double refill = seconds(node.spawnLatency().p99().isZero() ? options.defaultRefill() : node.spawnLatency().p99());
    Map<String, Integer> wanted = new TreeMap<>();
    node.warmSlots().keySet().forEach(profile -> wanted.put(profile, 0));
    rates.keySet().stream().filter(key -> key.nodeId().equals(node.nodeId()))
        .forEach(key -> wanted.put(key.profile(), target(rate(key.nodeId(), key.profile()), refill)));

    long held = 0;
    long asked = 0;
    for (var entry : wanted.entrySet()) {
      long each = slotMemoryBytes.getOrDefault(entry.getKey(), 0L);
      held += each * node.warmSlots(entry.getKey());
      asked += each * entry.getValue();
    }
    // Warm slots already hold memory that free memory no longer counts: they may keep it.
    double budget = node.freeMemoryBytes() * options.memoryShare() + held;
    double scale = asked <= budget ? 1 : budget / asked;
    List<PoolSize> sizes = new ArrayList<>();
    wanted.forEach((profile, size) -> sizes.add(new PoolSize(node.nodeId(), profile,
        slotMemoryBytes.getOrDefault(profile, 0L) == 0 ? size : (int) Math.floor(size * scale))));
    return sizes;
  }

  private int target(double rate, double refillSeconds) {
    if (rate < options.idleRate()) {
      return 0;
    }
    long size = Math.max(1, (long) Math.ceil(rate * refillSeconds * options.headroom()));
    return (int) Math.min(size, options.maxPerProfile());
  }

  private double decayed(Rate rate, Instant now) {
    if (rate.at == null) {
      return 0;
    }
    double dt = Math.max(0, seconds(Duration.between(rate.at, now)));
    return rate.value * Math.exp(-dt / seconds(options.tau()));
  }

  private static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }
}
