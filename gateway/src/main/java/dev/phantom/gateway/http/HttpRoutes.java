package dev.phantom.gateway.http;

import dev.phantom.proto.orchestrator.v1.ListNodesRequest;
import dev.phantom.proto.orchestrator.v1.NodeList;
import dev.phantom.proto.orchestrator.v1.NodeStatus;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;

/**
 * The gateway's HTTP server: liveness, readiness, Prometheus metrics, and whatever front doors are
 * mounted on it (the REST mirror, MCP). Health, readiness and metrics need no API key.
 */
public final class HttpRoutes {

  private static final long READY_TIMEOUT_MS = 2_000;

  private HttpRoutes() {}

  public static Router create(Vertx vertx, MeterRegistry meters) {
    Router router = Router.router(vertx);
    router.get("/health").handler(ctx -> ctx.json(new JsonObject().put("status", "UP")));
    router.get("/ready").handler(ctx -> ready(vertx, ctx));
    if (meters instanceof PrometheusMeterRegistry prometheus) {
      router.get("/metrics").handler(PrometheusScrapingHandler.create(prometheus));
    }
    return router;
  }

  /** Ends the router: unknown paths get a JSON 404 like every other HTTP error. */
  public static void finish(Router router) {
    router.route().last().handler(ctx -> ctx.response().setStatusCode(404)
        .putHeader("content-type", "application/json")
        .end(HttpErrors.body(404, "NOT_FOUND", "no such path: " + ctx.request().path()).encode()));
  }

  /** Ready when at least one zygote node can spawn: what a load balancer should wait for. */
  private static void ready(Vertx vertx, RoutingContext ctx) {
    BusRpc.request(vertx.eventBus(), Addresses.ORCHESTRATOR_NODES, ListNodesRequest.getDefaultInstance(),
            NodeList.parser(), READY_TIMEOUT_MS)
        .onComplete(nodes -> {
          boolean ready = nodes.getNodesList().stream().anyMatch(NodeStatus::getReady);
          JsonArray list = new JsonArray();
          nodes.getNodesList().forEach(node -> list.add(new JsonObject().put("node", node.getNodeId())
              .put("ready", node.getReady()).put("running", node.getRunning()).put("capacity", node.getCapacity())
              .put("detail", node.getDetail())));
          ctx.response().setStatusCode(ready ? 200 : 503).putHeader("content-type", "application/json")
              .end(new JsonObject().put("ready", ready).put("nodes", list).encode());
        }, failure -> ctx.response().setStatusCode(503).putHeader("content-type", "application/json")
            .end(new JsonObject().put("ready", false).put("reason", failure.getMessage()).encode()));
  }
}
