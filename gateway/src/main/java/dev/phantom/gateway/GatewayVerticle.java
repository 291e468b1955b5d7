package dev.phantom.gateway;

import dev.phantom.api.v1.SandboxApiGrpcService;
import dev.phantom.gateway.access.AccessControl;
import dev.phantom.gateway.access.KeyStore;
import dev.phantom.gateway.audit.AuditLog;
import dev.phantom.gateway.core.ApiKeys;
import dev.phantom.gateway.core.TokenBuckets;
import dev.phantom.gateway.grpc.GrpcCalls;
import dev.phantom.gateway.grpc.PolicyApiGrpcEndpoint;
import dev.phantom.gateway.grpc.ReplyFlushes;
import dev.phantom.gateway.grpc.SandboxApiGrpcEndpoint;
import dev.phantom.gateway.grpc.StoreApiGrpcEndpoint;
import dev.phantom.gateway.http.HttpRoutes;
import dev.phantom.gateway.http.RestRoutes;
import dev.phantom.gateway.http.RestSessionRoutes;
import dev.phantom.gateway.mcp.McpHttpOptions;
import dev.phantom.gateway.mcp.McpHttpTransport;
import dev.phantom.gateway.session.SessionCoordinator;
import dev.phantom.gateway.session.SessionGrpcEndpoint;
import dev.phantom.support.ServiceContext;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.grpc.health.HealthService;
import io.vertx.grpc.reflection.ReflectionService;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/** Wiring only: config, the run coordinator, the gRPC and HTTP servers. */
public final class GatewayVerticle extends VerticleBase {

  private static final Logger LOG = Logger.getLogger(GatewayVerticle.class.getName());

  private final ServiceContext context;
  private HttpServer grpcHttpServer;
  private HttpServer httpServer;
  private AuditLog audit = AuditLog.none();

  public GatewayVerticle(ServiceContext context) {
    this.context = context;
  }

  @Override
  public Future<?> start() {
    GatewayConfig config;
    try {
      config = GatewayConfig.from(context.config());
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return vertx.executeBlocking(() -> allKeys(config))
        .compose(keys -> {
          config.requireKeysOrInsecureLocal(keys);
          return serve(config, keys);
        });
  }

  /** Keys given inline and those in the keys file, read once at start. */
  private static ApiKeys allKeys(GatewayConfig config) throws java.io.IOException {
    List<ApiKeys.ApiKey> keys = new ArrayList<>(config.apiKeys().keys());
    if (config.keysFile().isPresent()) {
      keys.addAll(KeyStore.load(Path.of(config.keysFile().get())).keys());
    }
    return new ApiKeys(keys);
  }

  private Future<?> serve(GatewayConfig config, ApiKeys keys) {
    audit = config.auditLog().map(file -> AuditLog.toFile(Path.of(file), AuditLog.DEFAULT_MAX_BYTES,
        AuditLog.DEFAULT_KEEP)).orElseGet(AuditLog::none);
    RunCoordinator coordinator = new RunCoordinator(vertx, config, new RunMetrics(context.meters()));
    coordinator.register();

    GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions()
        .setScheduleDeadlineAutomatically(true)
        .setMaxMessageSize(config.maxMessageBytes()));
    AccessControl access = new AccessControl(keys,
        new TokenBuckets(config.rateLimitPerSecond(), config.rateLimitBurst()), context.meters());
    ApiMetrics apiMetrics = new ApiMetrics(context.meters(), audit);
    GrpcCalls calls = new GrpcCalls(access, apiMetrics);
    new SandboxApiGrpcEndpoint(coordinator, access, calls).bind(grpc);
    new PolicyApiGrpcEndpoint(vertx.eventBus(), calls).bind(grpc);
    new StoreApiGrpcEndpoint(vertx.eventBus(), calls).bind(grpc);
    // One session coordinator behind every front door, so gRPC, REST and MCP see the same sandboxes.
    SessionCoordinator sessions = new SessionCoordinator(vertx, config.spawnGraceMs());
    sessions.register();
    new SessionGrpcEndpoint(vertx, sessions, calls).bind(grpc);
    HealthService health = HealthService.create(vertx);
    health.register(SandboxApiGrpcService.SERVICE_NAME, () -> Future.succeededFuture(true));
    grpc.addService(health);
    grpc.addService(ReflectionService.v1());

    Future<HttpServer> grpcListening = vertx.createHttpServer(new HttpServerOptions().setHost(config.host()))
        .connectionHandler(ReplyFlushes::install)
        .requestHandler(grpc)
        .listen(config.grpcPort());
    Router router = HttpRoutes.create(vertx, context.meters());
    new RestRoutes(coordinator, access, apiMetrics).mount(router, config.maxMessageBytes());
    // After RestRoutes: its body handler on /api/v2/* sets the body size limit these routes rely on.
    new RestSessionRoutes(sessions, access, apiMetrics).mount(router);
    router.route(McpHttpTransport.PATH).handler(RestRoutes.gate(access, "mcp"));
    McpHttpTransport.mount(router,
        CoordinatorOperations.uncancellable(coordinator, sessions, CoordinatorOperations.DEFAULT_OWNER),
        McpHttpOptions.DEFAULTS);
    HttpRoutes.finish(router);
    Future<HttpServer> httpListening = vertx.createHttpServer(new HttpServerOptions().setHost(config.host()))
        .requestHandler(router)
        .listen(config.httpPort());
    return Future.all(grpcListening, httpListening).onSuccess(all -> {
      grpcHttpServer = grpcListening.result();
      httpServer = httpListening.result();
      LOG.info("gRPC listening on " + config.host() + ":" + grpcPort()
          + ", HTTP on http://" + config.host() + ":" + httpPort());
    });
  }

  @Override
  public Future<?> stop() {
    return vertx.executeBlocking(() -> {
      audit.close();
      return null;
    });
  }

  /** The port gRPC listens on, once started (the real one when 0 was configured). */
  public int grpcPort() {
    return grpcHttpServer.actualPort();
  }

  public int httpPort() {
    return httpServer.actualPort();
  }
}
