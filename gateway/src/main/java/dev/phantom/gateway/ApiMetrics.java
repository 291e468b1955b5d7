package dev.phantom.gateway;

import dev.phantom.gateway.audit.AuditLog;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;

/**
 * Every API call's end: its duration by front door, method and outcome ({@code phantom_api_requests_seconds}),
 * and, when an audit log is configured, a line saying who did it.
 */
public final class ApiMetrics {

  private final MeterRegistry registry;
  private final AuditLog audit;

  public ApiMetrics(MeterRegistry registry) {
    this(registry, AuditLog.none());
  }

  public ApiMetrics(MeterRegistry registry, AuditLog audit) {
    this.registry = registry;
    this.audit = audit;
  }

  /** @param status a gRPC status name, or "OK" */
  public void record(String api, String method, String status, long startNanos) {
    Timer.builder("phantom.api.requests")
        .description("API calls by front door, method and status")
        .tags("api", api, "method", method, "status", status)
        .register(registry)
        .record(Duration.ofNanos(System.nanoTime() - startNanos));
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
    String decision = status.equals("UNAUTHENTICATED") || status.equals("PERMISSION_DENIED")
        || status.equals("RESOURCE_EXHAUSTED") ? "denied" : "allowed";
    audit.record(new AuditLog.Event(Instant.now(), caller.isEmpty() ? "unknown" : caller, api, method, sandboxId,
        profile, decision, status));
  }
}
