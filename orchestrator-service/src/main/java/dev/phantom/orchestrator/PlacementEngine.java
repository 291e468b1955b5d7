package dev.phantom.orchestrator;

import dev.phantom.orchestrator.core.AdmissionController;
import dev.phantom.orchestrator.core.NodeTable;
import dev.phantom.orchestrator.core.PlacementDecision;
import dev.phantom.orchestrator.core.PlacementRequest;
import dev.phantom.orchestrator.core.PlacementScorer;
import dev.phantom.orchestrator.core.PoolSizer;
import dev.phantom.support.PhantomException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Placement behind admission control: a request is admitted while some node can take it without pressure
 * and the adaptive limit has room, or, when every node is pressured, while fewer than a few per node are in
 * flight; otherwise it waits briefly in the admission queue and is then shed with RESOURCE_EXHAUSTED and a
 * retry time. An admitted request holds its permit until the gateway says the spawn
 * replied ({@link #done}), or until its run's timeout plus a grace has passed. Runs on the orchestrator
 * verticle's event loop, which owns the node table; {@link #tick} runs on a timer there.
 */
public final class PlacementEngine {

  /** Where a sandbox goes, and the id the gateway names in PlacementDone. */
  public record Placed(String nodeId, String spawnAddress, String placementId) {}

  /** How a placed spawn ended, as the gateway saw it. */
  public enum Outcome { RAN, OVERLOADED, FAILED }

  private record Pending(PlacementRequest request, Set<String> exclude, Duration timeout, Promise<Placed> reply) {}

  private record Held(String nodeId, AdmissionController.Permit permit, Instant deadline) {}

  /** Any request, for "is there calm room at all" while the queue drains. */
  private static final PlacementRequest ANY = new PlacementRequest("*", 0);

  private final NodeTable table;
  private final AdmissionController<Pending> admission;
  private final PoolSizer sizer;
  private final InstantSource clock;
  private final Duration grace;
  private final long retryAfterMs;
  private final String instanceId;
  private final MeterRegistry meters;
  private final Map<String, Held> held = new HashMap<>();
  /** Placements by tier, built once per tier rather than with its tag on every placement. */
  private final Map<PlacementScorer.Tier, Counter> placementsByTier = new EnumMap<>(PlacementScorer.Tier.class);
  private final int pressuredPerNode;
  private long sequence;

  /**
   * @param pressuredPerNode placements in flight per ready node that are still admitted while every node is
   *     under pressure (the rest wait, then are shed)
   */
  public PlacementEngine(NodeTable table, AdmissionController.Options admission, int pressuredPerNode,
      PoolSizer sizer, Duration grace, String instanceId, MeterRegistry meters, InstantSource clock) {
    this.table = table;
    this.pressuredPerNode = pressuredPerNode;
    this.admission = new AdmissionController<>(admission, clock);
    this.sizer = sizer;
    this.clock = clock;
    this.grace = grace;
    this.retryAfterMs = admission.retryAfter().toMillis();
    this.instanceId = instanceId;
    this.meters = meters;
    meters.gauge("phantom.orchestrator.admission.queued", this.admission, AdmissionController::queued);
    meters.gauge("phantom.orchestrator.admission.limit", this.admission, AdmissionController::limit);
    meters.gauge("phantom.orchestrator.admission.inflight", this.admission, AdmissionController::inflight);
  }

  public Future<Placed> place(PlacementRequest request, Set<String> exclude, Duration timeout) {
    var none = table.unplaceable(exclude);
    if (none.isPresent()) {
      return Future.failedFuture(none.get() instanceof PlacementDecision.NoNodes && !exclude.isEmpty()
          ? PhantomException.unavailable("no zygote node other than " + String.join(", ", exclude) + " is running")
          : failure(none.get()));
    }
    Pending pending = new Pending(request, exclude, timeout, Promise.promise());
    admission.pressuredLimit(trickle(request, exclude));
    handle(admission.offer(pending, !table.calmRoomFor(request, exclude)));
    return pending.reply().future();
  }

  /** The gateway reports that a placement's spawn replied. Unknown ids (expired, another instance's) are ignored. */
  public void done(String placementId, Outcome outcome, Duration spawn) {
    Held h = held.remove(placementId);
    if (h == null) {
      return;
    }
    table.released(h.nodeId());
    switch (outcome) {
      case RAN -> h.permit().ran(spawn);
      case OVERLOADED -> h.permit().overloaded();
      case FAILED -> h.permit().ignored();
    }
    tick();
  }

  /** Frees permits whose PlacementDone never came, then admits or sheds what waits. */
  public void tick() {
    Instant now = clock.instant();
    held.values().removeIf(h -> {
      boolean expired = now.isAfter(h.deadline());
      if (expired) {
        h.permit().ignored();
        table.released(h.nodeId());
      }
      return expired;
    });
    // One at a time: each admission fills room that the next must see.
    while (true) {
      admission.pressuredLimit(trickle(ANY, Set.of()));
      List<AdmissionController.Decision<Pending>> changed = admission.drain(!table.calmRoomFor(ANY, Set.of()), 1);
      changed.forEach(this::handle);
      if (changed.stream().noneMatch(d -> d instanceof AdmissionController.Admitted)) {
        return;
      }
    }
  }

  /** A node is gone: its placements will never be reported done by a spawn reply that arrives. */
  public void nodeGone(String nodeId) {
    held.values().removeIf(h -> {
      boolean there = h.nodeId().equals(nodeId);
      if (there) {
        h.permit().ignored();
      }
      return there;
    });
    sizer.forget(nodeId);
  }

  /** In flight while no node is calm: a few per node when some node has room at all, none when all are full. */
  private int trickle(PlacementRequest request, Set<String> exclude) {
    return table.roomFor(request, exclude) ? pressuredPerNode * table.readyNodes() : 0;
  }

  private void handle(AdmissionController.Decision<Pending> decision) {
    switch (decision) {
      case AdmissionController.Admitted<Pending> admitted -> admit(admitted.request(), admitted.permit());
      case AdmissionController.Queued<Pending> queued -> { }
      case AdmissionController.Shed<Pending> shed -> {
        Counter.builder("phantom.orchestrator.shed").description("Placements shed by admission control")
            .register(meters).increment();
        shed.request().reply().tryFail(PhantomException.resourceExhausted(
            "no zygote node can take more work now: " + shed.reason(), shed.retryAfter().toMillis()));
      }
    }
  }

  private void admit(Pending pending, AdmissionController.Permit permit) {
    PlacementDecision decision = table.place(pending.request(), pending.exclude());
    if (!(decision instanceof PlacementDecision.Placed placed)) {
      permit.ignored();
      pending.reply().tryFail(failure(decision));
      return;
    }
    String id = instanceId + "-" + ++sequence;
    held.put(id, new Held(placed.nodeId(), permit, clock.instant().plus(pending.timeout()).plus(grace)));
    sizer.observe(placed.nodeId(), pending.request().profile());
    placementsByTier.computeIfAbsent(placed.tier(), tier -> Counter.builder("phantom.orchestrator.placements")
        .tag("tier", tier.name().toLowerCase())
        .description("Placements by why the node was chosen (warm slot, calm, pressured)").register(meters)).increment();
    pending.reply().complete(new Placed(placed.nodeId(), placed.spawnAddress(), id));
  }

  private PhantomException failure(PlacementDecision decision) {
    return switch (decision) {
      case PlacementDecision.NoNodes none -> PhantomException.unavailable(
          "no zygote node is running: start one (phantom up, or phantom node --role zygote)");
      case PlacementDecision.NoneReady notReady -> PhantomException.failedPrecondition(notReady.detail());
      case PlacementDecision.AllBusy busy -> PhantomException.resourceExhausted(
          "all " + busy.nodes() + " zygote node(s) are at capacity", retryAfterMs);
      case PlacementDecision.Placed placed -> throw new IllegalStateException("placed is no failure");
    };
  }
}
