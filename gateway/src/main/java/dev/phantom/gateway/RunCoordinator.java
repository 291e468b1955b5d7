package dev.phantom.gateway;

import dev.phantom.api.v1.ListProfilesResponse;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunEvent;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.proto.orchestrator.v1.NodeLost;
import dev.phantom.proto.orchestrator.v1.PlaceRequest;
import dev.phantom.proto.orchestrator.v1.Placement;
import dev.phantom.proto.zygote.v1.CancelRun;
import dev.phantom.proto.zygote.v1.SpawnRequest;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.support.bus.ImagePreparing;
import dev.phantom.support.trace.StageTrace;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * One run from request to result: validate, look up the profile's limits, place on a node, spawn there.
 * Every method runs on the gateway verticle's event loop, which owns the maps below.
 */
public final class RunCoordinator {

  private static final long CONTROL_TIMEOUT_MS = 5_000;
  /** After the node's reply, how long a streamed run's final event may still be on its way. */
  private static final long EXIT_EVENT_GRACE_MS = 5_000;
  /**
   * How long a run is sent again while its node materializes the image (each refusal comes after the
   * node's own wait, imagePrepareWaitMs); past it, the refusal reaches the caller as UNAVAILABLE.
   */
  static final long IMAGE_PREPARE_MAX_MS = 600_000;
  /** Pause between a refusal for an image being prepared and the next send. */
  static final long IMAGE_RESEND_DELAY_MS = 200;

  private final Vertx vertx;
  private final EventBus bus;
  private final GatewayConfig config;
  private final RunMetrics metrics;
  private final SpawnPlanner planner;
  private final ProfileDirectory profiles;
  private final Map<String, Set<Promise<?>>> inFlightByNode = new HashMap<>();

  /** What a validated, placed run needs to start. */
  private record Prepared(SpawnRequest spawn, Placement placement, long timeoutMs) {}

  /** A spawn that provably never reached its node (see {@link BusRpc#undelivered}): it may go to another. */
  private static final class Undelivered extends RuntimeException {
    final PhantomException failure;
    final String nodeId;

    Undelivered(PhantomException failure, String nodeId) {
      super(failure.getMessage(), null, false, false);
      this.failure = failure;
      this.nodeId = nodeId;
    }
  }

  public RunCoordinator(Vertx vertx, GatewayConfig config, RunMetrics metrics) {
    this.vertx = vertx;
    this.bus = vertx.eventBus();
    this.config = config;
    this.metrics = metrics;
    this.planner = new SpawnPlanner(config.allowHostWorkspaces());
    this.profiles = new ProfileDirectory(bus);
  }

  /** Listens for lost nodes, so that runs on them fail at once instead of at their timeout. */
  public void register() {
    BusRpc.listen(bus, Addresses.ORCHESTRATOR_NODE_LOST, NodeLost.parser(), this::onNodeLost);
  }

  /** Runs to completion. Completing {@code cancelled} kills the sandbox. */
  public Future<RunResult> run(RunRequest request, Future<Void> cancelled) {
    long startNanos = System.nanoTime();
    StageTrace trace = StageTrace.start("gateway.run");
    return placeAndSpawn(request, "", cancelled, trace)
        .map(result -> {
          RunResult done = finish(request, result, startNanos);
          trace.end("finished");
          return done;
        });
  }

  /** Runs a program given as source, through the same path as {@link #run}. */
  public Future<RunResult> runCode(RunCodeRequest request, Future<Void> cancelled) {
    RunRequest run;
    try {
      run = CodeRuns.toRunRequest(request);
    } catch (PhantomException e) {
      return Future.failedFuture(e);
    }
    return run(run, cancelled);
  }

  /** What each profile offers, and the languages RunCode knows. */
  public Future<ListProfilesResponse> listProfiles() {
    return profiles.all().map(CodeRuns::describe);
  }

  /**
   * Runs and hands each event to {@code sink} as it comes, ending with the exit event.
   * The returned future completes once the exit event was handed over.
   */
  public Future<Void> runStream(RunRequest request, Consumer<RunEvent> sink, Future<Void> cancelled) {
    long startNanos = System.nanoTime();
    String runId = UUID.randomUUID().toString();
    String address = Addresses.runEvents(runId);
    Promise<Void> done = Promise.promise();
    MessageConsumer<Buffer> events = BusRpc.listen(bus, address, RunEvent.parser(), event -> {
      if (done.future().isComplete()) {
        return;
      }
      if (event.hasExit()) {
        sink.accept(RunEvent.newBuilder().setExit(finish(request, event.getExit(), startNanos)).build());
        done.tryComplete();
      } else {
        sink.accept(event);
      }
    });
    events.completion()
        .compose(registered -> placeAndSpawn(request, address, cancelled, StageTrace.start("gateway.stream")))
        .onFailure(done::tryFail)
        .onSuccess(result -> vertx.setTimer(EXIT_EVENT_GRACE_MS, id -> {
          // The exit event normally arrives before or right after the reply; never wait for it forever.
          if (done.tryComplete()) {
            sink.accept(RunEvent.newBuilder().setExit(finish(request, result, startNanos)).build());
          }
        }));
    return done.future().andThen(ignored -> events.unregister());
  }

  /**
   * Places and spawns; a spawn that never reached its node (the node left between its last report and the
   * spawn) is placed once more, on another node. A spawn that reached a node is never sent again, even when
   * the node is lost afterwards: whether its sandbox had started cannot be known, and a run must not run twice.
   */
  private Future<RunResult> placeAndSpawn(RunRequest request, String streamAddress, Future<Void> cancelled,
      StageTrace trace) {
    return whileImagePrepared(request, streamAddress, cancelled, trace, System.nanoTime());
  }

  /**
   * Sends the run again while its node answers that the image is being prepared (nothing ran then): the
   * first use of a large image must not fail as a lost node.
   */
  private Future<RunResult> whileImagePrepared(RunRequest request, String streamAddress, Future<Void> cancelled,
      StageTrace trace, long sinceNanos) {
    return placeAndSpawnOnce(request, streamAddress, cancelled, trace).recover(failure -> {
      if (!ImagePreparing.is(failure) || cancelled.isComplete()
          || System.nanoTime() - sinceNanos > IMAGE_PREPARE_MAX_MS * 1_000_000) {
        return Future.failedFuture(failure);
      }
      metrics.resentWhileImagePrepared();
      Promise<Void> pause = Promise.promise();
      vertx.setTimer(IMAGE_RESEND_DELAY_MS, id -> pause.complete());
      return pause.future().compose(v -> whileImagePrepared(request, streamAddress, cancelled, trace, sinceNanos));
    });
  }

  private Future<RunResult> placeAndSpawnOnce(RunRequest request, String streamAddress, Future<Void> cancelled,
      StageTrace trace) {
    return prepare(request, streamAddress, List.of(), trace)
        .compose(prepared -> watch(prepared, spawn(prepared, trace), cancelled))
        .recover(failure -> {
          if (!(failure instanceof Undelivered first)) {
            return Future.failedFuture(failure);
          }
          if (cancelled.isComplete()) {
            return Future.failedFuture(first.failure);
          }
          metrics.retried();
          return prepare(request, streamAddress, List.of(first.nodeId), trace)
              .compose(prepared -> watch(prepared, spawn(prepared, trace), cancelled))
              .recover(again -> Future.failedFuture(again instanceof Undelivered u ? u.failure : again));
        });
  }

  private Future<Prepared> prepare(RunRequest request, String streamAddress, List<String> excludeNodes,
      StageTrace trace) {
    try {
      SpawnPlanner.checkShape(request);
    } catch (PhantomException e) {
      return Future.failedFuture(e);
    }
    String runId = streamAddress.isEmpty() ? UUID.randomUUID().toString() : runIdOf(streamAddress);
    return profiles.get(request.getProfile()).compose(profile -> {
      trace.mark("profile");
      SpawnRequest spawn;
      try {
        spawn = planner.plan(request, profile, runId, streamAddress);
      } catch (PhantomException e) {
        return Future.failedFuture(e);
      }
      trace.mark("planned");
      PlaceRequest place = PlaceRequest.newBuilder().setProfile(profile.getName())
          .setMemoryBytes(spawn.getLimits().getMemoryBytes()).setTimeoutMs(spawn.getTimeoutMs())
          .addAllExcludeNodes(excludeNodes).build();
      return BusRpc.request(bus, Addresses.ORCHESTRATOR_PLACE, place, Placement.parser(), CONTROL_TIMEOUT_MS)
          .map(placement -> {
            trace.mark("placed");
            return new Prepared(spawn, placement, spawn.getTimeoutMs());
          });
    });
  }

  private static String runIdOf(String streamAddress) {
    return streamAddress.substring(streamAddress.lastIndexOf('.') + 1);
  }

  /** Sends the spawn; once its node replied (or could not), tells the orchestrator that placed it. */
  private Future<RunResult> spawn(Prepared prepared, StageTrace trace) {
    String address = prepared.placement().getSpawnAddress();
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(prepared.timeoutMs() + config.spawnGraceMs());
    Future<RunResult> result = bus.<Buffer>request(address, Buffer.buffer(prepared.spawn().toByteArray()), options)
        .map(reply -> {
          trace.mark("spawned");
          return parse(reply.body());
        })
        .recover(failure -> {
          PhantomException phantom = BusRpc.toPhantom(address, failure);
          return Future.failedFuture(BusRpc.undelivered(failure)
              ? new Undelivered(phantom, prepared.placement().getNodeId()) : phantom);
        });
    return result.andThen(done -> Placements.done(bus, prepared.placement(),
        done.succeeded() ? done.result().getTimings().getSpawnMicros() : 0, done.cause()));
  }

  private static RunResult parse(Buffer body) {
    try {
      return RunResult.parseFrom(body.getBytes());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw PhantomException.internal("malformed RunResult from a zygote node: " + e.getMessage());
    }
  }

  /** Ties a spawn to its node's life and to the caller's cancellation. */
  private Future<RunResult> watch(Prepared prepared, Future<RunResult> spawned, Future<Void> cancelled) {
    String nodeId = prepared.placement().getNodeId();
    Promise<RunResult> outcome = Promise.promise();
    Set<Promise<?>> onNode = inFlightByNode.computeIfAbsent(nodeId, id -> new HashSet<>());
    onNode.add(outcome);
    spawned.onComplete(outcome);
    cancelled.onSuccess(v -> {
      if (!outcome.future().isComplete()) {
        BusRpc.send(bus, Addresses.zygoteCancel(nodeId),
            CancelRun.newBuilder().setRunId(prepared.spawn().getRunId()).build());
      }
    });
    return outcome.future().andThen(done -> {
      onNode.remove(outcome);
      if (onNode.isEmpty()) {
        inFlightByNode.remove(nodeId);
      }
    });
  }

  private void onNodeLost(NodeLost lost) {
    Set<Promise<?>> runs = inFlightByNode.remove(lost.getNodeId());
    if (runs == null) {
      return;
    }
    for (Promise<?> run : Set.copyOf(runs)) {
      run.tryFail(PhantomException.unavailable("zygote node " + lost.getNodeId()
          + " was lost while running the sandbox (" + lost.getReason() + "); the run's outcome is unknown"));
    }
  }

  private RunResult finish(RunRequest request, RunResult result, long startNanos) {
    long totalMicros = (System.nanoTime() - startNanos) / 1_000;
    RunResult done = result.toBuilder()
        .setTimings(result.getTimings().toBuilder().setTotalMicros(totalMicros))
        .build();
    metrics.record(request.getProfile(), done);
    return done;
  }
}
