package dev.phantom.orchestrator.core;

import com.netflix.concurrency.limits.Limiter;
import com.netflix.concurrency.limits.limit.AIMDLimit;
import com.netflix.concurrency.limits.limiter.SimpleLimiter;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Admission control in front of placement. Work is admitted while some node is calm and the adaptive
 * concurrency limit (Netflix concurrency-limits, AIMD: grows by one while work completes in time,
 * shrinks by a ratio when a spawn is refused or slower than {@code slowSpawn}) has room. Otherwise it
 * waits in a short FIFO queue, and is shed with RESOURCE_EXHAUSTED and a Retry-After once it has
 * waited {@code maxQueueWait} or when the queue is full: latency stays bounded instead of growing
 * with the backlog. Not thread-safe: one event loop owns it ({@link #drain} runs on a timer there and
 * whenever a permit is released).
 *
 * @param <T> what the caller queues (the pending request and its reply)
 */
public final class AdmissionController<T> {

  /**
   * @param maxQueueWait longest a request waits before it is shed
   * @param maxQueued requests waiting at once; one more is shed at once
   * @param retryAfter what a shed request is told to wait before trying again
   * @param initialLimit, minLimit, maxLimit bounds of the adaptive concurrency limit
   * @param slowSpawn a spawn slower than this (as the node measured it, see {@link Permit#ran}) counts as an
   *     overload signal
   */
  public record Options(Duration maxQueueWait, int maxQueued, Duration retryAfter, int initialLimit, int minLimit,
      int maxLimit, Duration slowSpawn) {

    public static final Options DEFAULTS = new Options(Duration.ofMillis(250), 1024, Duration.ofSeconds(1),
        64, 4, 4096, Duration.ofSeconds(2));

    public Options {
      if (maxQueueWait.isNegative() || maxQueued < 0 || retryAfter.isNegative() || minLimit < 1
          || initialLimit < minLimit || maxLimit < initialLimit || slowSpawn.isNegative() || slowSpawn.isZero()) {
        throw new IllegalArgumentException("admission needs waits >= 0, maxQueued >= 0, 1 <= minLimit <= initialLimit"
            + " <= maxLimit and slowSpawn > 0: " + this);
      }
    }
  }

  /**
   * Held while admitted work runs; exactly one of its methods is called when the work ends. A permit is held
   * for a whole run, whose length says nothing of load, so the limiter does not time it: whether the spawn
   * was slow is judged from the node's own figure ({@link #ran}).
   */
  public interface Permit {
    /** The sandbox started (or the work ended) normally: the limit may grow. */
    void succeeded();

    /** The node ran it and took {@code spawn} to start it: succeeded, or overloaded when slower than slowSpawn. */
    void ran(Duration spawn);

    /** A node refused it for lack of room, or it timed out: the limit shrinks. */
    void overloaded();

    /** It failed for reasons unrelated to load (bad request): no signal. */
    void ignored();
  }

  public sealed interface Decision<T> {
    T request();
  }

  public record Admitted<T>(T request, Permit permit) implements Decision<T> {}

  public record Queued<T>(T request) implements Decision<T> {}

  public record Shed<T>(T request, Duration retryAfter, String reason) implements Decision<T> {}

  private record Waiter<T>(T request, Instant deadline) {}

  private final Options options;
  private final InstantSource clock;
  private final SimpleLimiter<Void> limiter;
  private final Deque<Waiter<T>> queue = new ArrayDeque<>();
  private int pressuredLimit;

  public AdmissionController(Options options, InstantSource clock) {
    this.options = options;
    this.clock = clock;
    this.limiter = SimpleLimiter.newBuilder()
        .named("phantom-admission")
        .clock(() -> nanos(clock.instant()))
        .limit(AIMDLimit.newBuilder()
            .initialLimit(options.initialLimit()).minLimit(options.minLimit()).maxLimit(options.maxLimit())
            .timeout(UNTIMED.toNanos(), TimeUnit.NANOSECONDS)
            .build())
        .build();
  }

  /**
   * Admits, queues or sheds one request.
   *
   * @param allPressured true when no node can run it without being over its pressure threshold (all are
   *     pressured or full)
   */
  public Decision<T> offer(T request, boolean allPressured) {
    if (queue.isEmpty() && open(allPressured)) {
      Optional<Permit> permit = acquire();
      if (permit.isPresent()) {
        return new Admitted<>(request, permit.get());
      }
    }
    if (queue.size() >= options.maxQueued()) {
      return new Shed<>(request, options.retryAfter(), "the admission queue is full (" + options.maxQueued()
          + " waiting): " + cause(allPressured));
    }
    queue.addLast(new Waiter<>(request, clock.instant().plus(options.maxQueueWait())));
    return new Queued<>(request);
  }

  /**
   * Sheds the waiters whose time is up, then admits waiters in arrival order while there is room.
   * Returns what changed; requests still waiting are not listed.
   */
  public List<Decision<T>> drain(boolean allPressured) {
    return drain(allPressured, Integer.MAX_VALUE);
  }

  /**
   * As {@link #drain(boolean)}, admitting at most {@code maxAdmitted}: a caller whose room changes with each
   * admission (a node filling up) admits one, places it, and asks again.
   */
  public List<Decision<T>> drain(boolean allPressured, int maxAdmitted) {
    List<Decision<T>> changed = new ArrayList<>();
    Instant now = clock.instant();
    queue.removeIf(waiter -> {
      boolean expired = !now.isBefore(waiter.deadline());
      if (expired) {
        changed.add(new Shed<>(waiter.request(), options.retryAfter(), "waited "
            + options.maxQueueWait().toMillis() + " ms for room: " + cause(allPressured)));
      }
      return expired;
    });
    int admitted = 0;
    while (!queue.isEmpty() && admitted < maxAdmitted && open(allPressured)) {
      Optional<Permit> permit = acquire();
      if (permit.isEmpty()) {
        break;
      }
      changed.add(new Admitted<>(queue.removeFirst().request(), permit.get()));
      admitted++;
    }
    return changed;
  }

  /**
   * How much admitted work may be in flight while every node is under pressure: 0 (the default) closes
   * admission then; a few per node keep a busy cluster, or a single busy host, serving at a trickle while
   * the excess is shed.
   */
  public void pressuredLimit(int limit) {
    this.pressuredLimit = Math.max(0, limit);
  }

  private boolean open(boolean allPressured) {
    return !allPressured || inflight() < pressuredLimit;
  }

  public int queued() {
    return queue.size();
  }

  /** The adaptive limit now: how much admitted work may be in flight at once. */
  public int limit() {
    return limiter.getLimit();
  }

  public int inflight() {
    return limiter.getInflight();
  }

  private String cause(boolean allPressured) {
    return allPressured ? "every zygote node is full or over its pressure threshold"
        : inflight() + " sandboxes are starting, the adaptive limit is " + limit();
  }

  /** The AIMD limit's own timeout, out of the way: runs hold permits for as long as they run. */
  private static final Duration UNTIMED = Duration.ofDays(365);

  private Optional<Permit> acquire() {
    return limiter.acquire(null).map(this::permit);
  }

  private Permit permit(Limiter.Listener listener) {
    return new Permit() {
      @Override
      public void succeeded() {
        listener.onSuccess();
      }

      @Override
      public void ran(Duration spawn) {
        if (spawn.compareTo(options.slowSpawn()) > 0) {
          listener.onDropped();
        } else {
          listener.onSuccess();
        }
      }

      @Override
      public void overloaded() {
        listener.onDropped();
      }

      @Override
      public void ignored() {
        listener.onIgnore();
      }
    };
  }

  private static long nanos(Instant instant) {
    return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
  }
}
