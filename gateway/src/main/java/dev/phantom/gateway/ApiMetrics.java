package dev.phantom.gateway;

import dev.phantom.gateway.audit.AuditLog;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Every API call's end: its duration by front door, method and outcome ({@code phantom_api_requests_seconds}),
 * and, when an audit log is configured, a line saying who did it. Each timer is built once and kept (front
 * doors, methods and statuses are closed sets): building it with its tags on every call cost more than
 * recording.
 */
public final class ApiMetrics {

  private final MeterRegistry registry;
  private final AuditLog audit;
  private final Map<Key, Timer> timers = new ConcurrentHashMap<>();

  private record Key(String api, String method, String status) {}

  public ApiMetrics(MeterRegistry registry) {
    this(registry, AuditLog.none());
  }

  public ApiMetrics(MeterRegistry registry, AuditLog audit) {
    this.registry = registry;
    this.audit = audit;
  }

  /** @param status a gRPC status name, or "OK" */
  public void record(String api, String method, String status, long startNanos) {
    timers.computeIfAbsent(new Key(api, method, status), key -> Timer.builder("phantom.api.requests")
            .description("API calls by front door, method and status")
            .tags("api", key.api(), "method", key.method(), "status", key.status())
            .register(registry))
        .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  /**
   * Records the call and audits it.
   *
   * @param caller the admitted caller, or empty when it was refused before being known
   * @param sandboxId the session the call named, or empty
   * @param profile the profile the call ran on, or empty
   */
  public void record(String api, String method, String status, long startNanos, String caller, String sandboxId,
      String profile) {
    record(api, method, status, startNanos);
    if (!audit.enabled()) {
      return;
    }
    String decision = status.equals("UNAUTHENTICATED") || status.equals("PERMISSION_DENIED")
        || status.equals("RESOURCE_EXHAUSTED") ? "denied" : "allowed";
    audit.record(new AuditLog.Event(Instant.now(), caller.isEmpty() ? "unknown" : caller, api, method, sandboxId,
        profile, decision, status));
  }
}
