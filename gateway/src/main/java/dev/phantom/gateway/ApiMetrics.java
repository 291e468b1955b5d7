package dev.phantom.gateway;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/** Duration of every API call by front door, method and outcome ({@code phantom_api_requests_seconds}). */
public final class ApiMetrics {

  private final MeterRegistry registry;

  public ApiMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  /** @param status a gRPC status name, or "OK" */
  public void record(String api, String method, String status, long startNanos) {
    Timer.builder("phantom.api.requests")
        .description("API calls by front door, method and status")
        .tags("api", api, "method", method, "status", status)
        .register(registry)
        .record(Duration.ofNanos(System.nanoTime() - startNanos));
  }
}
