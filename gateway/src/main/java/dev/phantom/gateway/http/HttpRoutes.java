package dev.phantom.gateway.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.PrometheusScrapingHandler;

/** The HTTP side of the gateway: liveness and Prometheus metrics. The REST mirror comes later. */
public final class HttpRoutes {

  private HttpRoutes() {}

  public static Router create(Vertx vertx, MeterRegistry meters) {
    Router router = Router.router(vertx);
    router.get("/health").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
    if (meters instanceof PrometheusMeterRegistry prometheus) {
      router.get("/metrics").handler(PrometheusScrapingHandler.create(prometheus));
    }
    router.route().last().handler(ctx -> ctx.response().setStatusCode(404)
        .putHeader("content-type", "application/json")
        .end(new JsonObject().put("error", "not found").put("path", ctx.request().path()).encode()));
    return router;
  }
}
