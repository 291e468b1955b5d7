package dev.phantom.zygote.bus;

import com.google.protobuf.ByteString;
import dev.phantom.api.v1.OutputChunk;
import dev.phantom.api.v1.OutputStream;
import dev.phantom.api.v1.RunEvent;
import dev.phantom.api.v1.RunResult;
import dev.phantom.proto.policy.v1.CompileProfileRequest;
import dev.phantom.proto.policy.v1.CompiledProfile;
import dev.phantom.proto.zygote.v1.CancelRun;
import dev.phantom.proto.zygote.v1.NodeReport;
import dev.phantom.proto.zygote.v1.SpawnRequest;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.support.trace.StageTrace;
import dev.phantom.zygote.ZygoteConfig;
import dev.phantom.zygote.core.KillReason;
import dev.phantom.zygote.core.OutputSink;
import dev.phantom.zygote.core.RecentSpawns;
import dev.phantom.zygote.core.RunOutcome;
import dev.phantom.zygote.core.RunSpec;
import dev.phantom.zygote.core.SandboxLauncher;
import dev.phantom.zygote.core.SandboxProfile;
import dev.phantom.zygote.core.SlotAgent;
import dev.phantom.zygote.bwrap.WarmSlot;
import dev.phantom.zygote.pool.WarmPools;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.buffer.Buffer;
import io.vertx.grpc.common.GrpcStatus;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves {@code Addresses.zygoteSpawn(nodeId)} and {@code Addresses.zygoteCancel(nodeId)}, and builds this
 * node's {@link NodeReport}. Runs on the verticle's event loop; the spawn itself runs on a worker thread.
 */
public final class ZygoteBusEndpoint {

  private final Vertx vertx;
  private final Context context;
  private final EventBus bus;
  private final String nodeId;
  private final String arch;
  private final ZygoteConfig config;
  private final SandboxLauncher launcher;
  private final Optional<String> notReady;
  private final InstantSource clock;
  private final MeterRegistry meters;
  private final Timer spawnLatency;
  private final Timer runDuration;
  /** Finished runs by status, built once per status: a tagged builder per run cost more than counting. */
  private final Map<RunOutcome.Status, Counter> runsByStatus = new ConcurrentHashMap<>();
  private final RecentSpawns recentSpawns = new RecentSpawns();

  private final AtomicInteger inFlight = new AtomicInteger();
  private final Map<String, RunState> runs = new ConcurrentHashMap<>();
  private final Map<String, CachedProfile> profiles = new ConcurrentHashMap<>();
  private List<MessageConsumer<Buffer>> consumers = List.of();
  private java.util.function.IntSupplier sessions = () -> 0;
  private int maxSessions;
  private WarmPools pools;
  private java.util.function.Function<SandboxProfile, Future<SandboxProfile>> images = Future::succeededFuture;

  /**
   * @param notReady why this node cannot spawn (bubblewrap missing), or empty
   */
  public ZygoteBusEndpoint(Vertx vertx, String nodeId, String arch, ZygoteConfig config, SandboxLauncher launcher,
      Optional<String> notReady, MeterRegistry meters, InstantSource clock) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.bus = vertx.eventBus();
    this.nodeId = nodeId;
    this.arch = arch;
    this.config = config;
    this.launcher = launcher;
    this.notReady = notReady;
    this.clock = clock;
    this.meters = meters;
    this.spawnLatency = Timer.builder("phantom.zygote.spawn.latency")
        .description("From a spawn request reaching the node to the sandboxed process existing")
        .publishPercentileHistogram().register(meters);
    this.runDuration = Timer.builder("phantom.zygote.run.duration")
        .description("Wall-clock time of sandboxed runs").register(meters);
    meters.gauge("phantom.zygote.running", inFlight);
  }

  /** Registers the spawn and cancel consumers. */
  public Future<Void> register() {
    MessageConsumer<Buffer> spawn = BusRpc.serve(bus, Addresses.zygoteSpawn(nodeId), SpawnRequest.parser(), this::spawn);
    MessageConsumer<Buffer> cancel = BusRpc.listen(bus, Addresses.zygoteCancel(nodeId), CancelRun.parser(), this::cancel);
    consumers = List.of(spawn, cancel);
    return Future.all(spawn.completion(), cancel.completion()).mapEmpty();
  }

  public Future<Void> unregister() {
    return Future.all(consumers.stream().map(MessageConsumer::unregister).toList()).mapEmpty();
  }

  /** Runs take warm slots from {@code pools} when one is free. */
  public void usePools(WarmPools pools) {
    this.pools = pools;
  }

  /** Sessions count as running sandboxes, and the node's capacity grows by their maximum. */
  public void countSessions(java.util.function.IntSupplier live, int max) {
    this.sessions = live;
    this.maxSessions = max;
  }

  public NodeReport report() {
    return NodeReport.newBuilder()
        .setNodeId(nodeId)
        .setSpawnAddress(Addresses.zygoteSpawn(nodeId))
        .setRunning(inFlight.get() + sessions.getAsInt())
        .setCapacity(config.maxConcurrent() + maxSessions)
        .setRuns(inFlight.get())
        .setMaxRuns(config.maxConcurrent())
        .setArch(arch)
        .setReady(notReady.isEmpty())
        .setDetail(notReady.orElse(""))
        .setSentAtUnixMs(clock.millis())
        .setSpawnP50Micros((int) Math.min(Integer.MAX_VALUE, recentSpawns.percentile(0.50)))
        .setSpawnP99Micros((int) Math.min(Integer.MAX_VALUE, recentSpawns.percentile(0.99)))
        .putAllWarmSlots(pools == null ? Map.of() : pools.idleByProfile())
        .build();
  }

  /** Runs of this node not yet finished (including those still fetching their profile). */
  public int running() {
    return inFlight.get();
  }

  Future<RunResult> spawn(SpawnRequest request) {
    long receivedNanos = System.nanoTime();
    StageTrace trace = StageTrace.start("zygote.spawn");
    if (notReady.isPresent()) {
      rejected("not_ready");
      return Future.failedFuture(PhantomException.failedPrecondition(notReady.get()));
    }
    if (request.getRunId().isEmpty()) {
      return Future.failedFuture(PhantomException.invalidArgument("run_id is required"));
    }
    if (inFlight.incrementAndGet() > config.maxConcurrent()) {
      inFlight.decrementAndGet();
      rejected("capacity");
      return Future.failedFuture(new PhantomException(GrpcStatus.RESOURCE_EXHAUSTED,
          "node " + nodeId + " already runs " + config.maxConcurrent() + " sandboxes"));
    }
    RunState state = new RunState();
    if (runs.putIfAbsent(request.getRunId(), state) != null) {
      inFlight.decrementAndGet();
      return Future.failedFuture(PhantomException.invalidArgument("run " + request.getRunId() + " is already running on node " + nodeId));
    }
    Future<RunResult> result = sandboxProfile(request.getProfile()).compose(profile -> {
      trace.mark("profile");
      RunSpec spec = ProtoMapping.run(request, profile, config.defaultTimeoutMs(), config.maxOutputBytes());
      String streamAddress = request.getStreamAddress();
      OutputSink sink = streamAddress.isEmpty() ? null : streamTo(streamAddress);
      trace.mark("mapped");
      return startOnLoop(state, profile, spec, sink, trace)
          .compose(running -> running != null ? Future.succeededFuture(running)
              : vertx.executeBlocking(() -> launch(state, profile, spec, sink, trace), false))
          // A streamed run's exit event must follow its chunks, which go out on this context; a plain
          // run's reply goes straight from the thread that saw the exit (the bus is thread-safe), one
          // scheduling hop fewer on the way back.
          .compose(running -> {
            trace.mark(state.warm ? "handed-over" : "launched");
            return sink == null ? Future.fromCompletionStage(running.outcome())
              : Future.fromCompletionStage(running.outcome(), context);
          })
          .map(outcome -> {
            trace.mark("outcome");
            long queuedMicros = TimeUnit.NANOSECONDS.toMicros(state.launchedNanos - receivedNanos);
            RunResult full = ProtoMapping.result(outcome, nodeId, profile.digest(), queuedMicros).toBuilder()
                .setWarm(state.warm).build();
            record(full, outcome);
            trace.end("result");
            if (sink == null) {
              return full;
            }
            RunResult last = full.toBuilder().clearStdout().clearStderr().build();
            BusRpc.send(bus, streamAddress, RunEvent.newBuilder().setExit(last).build());
            return last;
          });
    });
    return result
        .recover(failure -> Future.failedFuture(ZygoteFailures.toPhantom(failure)))
        .andThen(done -> {
          runs.remove(request.getRunId(), state);
          inFlight.decrementAndGet();
        });
  }

  /**
   * A warm slot started right here on the event loop when the job needs no file written and its line fits
   * in the pipe at once: nothing of that blocks, and the hop to a worker thread would cost more than the
   * handover. Null (as a value) when the job must go through {@link #launch}.
   */
  private Future<SandboxLauncher.Running> startOnLoop(RunState state, SandboxProfile profile, RunSpec spec,
      OutputSink sink, StageTrace trace) {
    // Quoting at most doubles a string, and the agents' framing is a few bytes per word. Files are written
    // from the host into a spawned slot's workspace (blocking I/O), but travel in a forked slot's job line
    // (base64, a third more).
    long fileBytes = 0;
    for (var file : spec.files()) {
      fileBytes += 2L * (file.path().length() + file.content().length) + 64;
    }
    if (pools == null || (fileBytes > 0 && !pools.forksSlots(profile.name()))
        || 2 * SlotAgent.approximateBytes(spec.argv(), spec.env()) + fileBytes > ATOMIC_PIPE_WRITE) {
      return Future.succeededFuture();
    }
    try {
      state.launchedNanos = System.nanoTime();
      SandboxLauncher.Running running = startWarm(profile, spec, sink, trace);
      if (running != null) {
        adopt(state, running, true);
      }
      return Future.succeededFuture(running);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** Pipe writes up to PIPE_BUF bytes into an empty pipe complete at once. */
  private static final int ATOMIC_PIPE_WRITE = 4096;

  private void adopt(RunState state, SandboxLauncher.Running running, boolean warm) {
    state.warm = warm;
    synchronized (state) {
      state.running = running;
      if (state.cancelled) {
        running.kill(KillReason.CANCELLED);
      }
    }
  }

  private SandboxLauncher.Running launch(RunState state, SandboxProfile profile, RunSpec spec, OutputSink sink,
      StageTrace trace) {
    state.launchedNanos = System.nanoTime();
    SlotAgent.requireFits(spec.argv(), spec.env());
    SandboxLauncher.Running running = pools == null ? null : startWarm(profile, spec, sink, trace);
    boolean warm = running != null;
    if (running == null) {
      running = launcher.launch(profile, spec, sink);
    }
    adopt(state, running, warm);
    return running;
  }

  /** The run in a warm slot, or null when none was free (or the one taken died before its job). */
  private SandboxLauncher.Running startWarm(SandboxProfile profile, RunSpec spec, OutputSink sink,
      StageTrace trace) {
    while (true) {
      Optional<WarmSlot> slot = pools.take(profile, spec);
      if (slot.isEmpty()) {
        return null;
      }
      WarmSlot taken = slot.get();
      try {
        trace.mark("taken");
        byte[] line = taken.handover(spec);
        trace.mark("encoded");
        return taken.start(spec, line, sink);
      } catch (IllegalStateException e) {
        // The agent died between the liveness check and the handover: nothing of the job ran; next slot.
      } catch (RuntimeException e) {
        taken.discard(); // a bad request: the slot was never given the job, but it is not reused either
        throw e;
      }
    }
  }

  void cancel(CancelRun cancel) {
    RunState state = runs.get(cancel.getRunId());
    if (state == null) {
      return; // already finished, or never here: cancelling is idempotent
    }
    synchronized (state) {
      state.cancelled = true;
      if (state.running != null) {
        state.running.kill(KillReason.CANCELLED);
      }
    }
  }

  /** Kills every run (the node is stopping); their replies still go out with status KILLED. */
  public void killAll() {
    runs.values().forEach(state -> {
      synchronized (state) {
        state.cancelled = true;
        if (state.running != null) {
          state.running.kill(KillReason.SHUTDOWN);
        }
      }
    });
  }

  private OutputSink streamTo(String address) {
    return (stream, data) -> {
      RunEvent event = RunEvent.newBuilder().setOutput(OutputChunk.newBuilder()
          .setStream(stream == OutputSink.Stream.STDOUT ? OutputStream.OUTPUT_STREAM_STDOUT : OutputStream.OUTPUT_STREAM_STDERR)
          .setData(ByteString.copyFrom(data))).build();
      // Reader threads hand chunks to the event loop in order; the exit event is queued after them.
      context.runOnContext(v -> BusRpc.send(bus, address, event));
    };
  }

  /** Applied to every profile before it is used: materializes its image and mounts it as the root. */
  public void useImages(java.util.function.Function<SandboxProfile, Future<SandboxProfile>> images) {
    this.images = images;
  }

  /** The profile a sandbox of {@code name} runs with: compiled, its image (if any) mounted. */
  public Future<SandboxProfile> sandboxProfile(String name) {
    return entry(name).mapped().compose(images);
  }

  /** The compiled profile, cached for {@code profileCacheMs}; failures (unknown profile) are not cached. */
  public Future<CompiledProfile> profile(String name) {
    return entry(name).profile();
  }

  private CachedProfile entry(String name) {
    if (name.isEmpty()) {
      Future<CompiledProfile> missing = Future.failedFuture(PhantomException.invalidArgument("profile is required"));
      return new CachedProfile(missing, missing.map(ProtoMapping::profile), 0);
    }
    long now = clock.millis();
    CachedProfile cached = profiles.get(name);
    if (cached != null && now - cached.fetchedAtMs < config.profileCacheMs()) {
      return cached;
    }
    Future<CompiledProfile> fetched = BusRpc.request(bus, Addresses.POLICY_COMPILE,
        CompileProfileRequest.newBuilder().setProfile(name).setArch(arch).build(),
        CompiledProfile.parser(), config.policyTimeoutMs());
    // Mapped once per fetch, not per run: the mapping copies the filter and every mount.
    CachedProfile entry = new CachedProfile(fetched, fetched.map(ProtoMapping::profile), now);
    profiles.put(name, entry);
    // Failures (unknown profile, compiler down) are not cached: the next request asks again.
    fetched.onFailure(e -> profiles.remove(name, entry));
    return entry;
  }

  private void record(RunResult result, RunOutcome outcome) {
    runsByStatus.computeIfAbsent(outcome.status(), status -> Counter.builder("phantom.zygote.runs")
        .tag("status", status.name().toLowerCase()).description("Finished runs by status").register(meters))
        .increment();
    if (outcome.spawnMicros() >= 0) {
      spawnLatency.record(Duration.ofNanos(result.getTimings().getSpawnMicros() * 1000));
      recentSpawns.record(result.getTimings().getSpawnMicros());
    }
    runDuration.record(Duration.ofNanos(outcome.wallMicros() * 1000));
  }

  private void rejected(String reason) {
    Counter.builder("phantom.zygote.rejected").tag("reason", reason)
        .description("Spawn requests refused before a sandbox was attempted").register(meters).increment();
  }



  private static final class RunState {
    volatile long launchedNanos;
    volatile boolean warm;
    SandboxLauncher.Running running;
    boolean cancelled;
  }

  private record CachedProfile(Future<CompiledProfile> profile, Future<SandboxProfile> mapped, long fetchedAtMs) {}
}
