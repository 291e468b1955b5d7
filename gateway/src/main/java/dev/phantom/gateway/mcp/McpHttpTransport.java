package dev.phantom.gateway.mcp;

import dev.phantom.gateway.SandboxOperations;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * MCP's Streamable HTTP transport at {@value #PATH}: POST carries one JSON-RPC message and gets
 * its response as JSON (202 for notifications and responses); {@code initialize} opens a session
 * whose id every later request carries in {@code Mcp-Session-Id}; DELETE ends it. There is no
 * server-to-client stream (the server sends no requests or notifications), so GET is 405.
 *
 * <p>Runs on the HTTP server's event loop, which must be the one the operations expect.
 */
public final class McpHttpTransport implements Handler<RoutingContext> {

  public static final String PATH = "/mcp";
  static final String SESSION_HEADER = "Mcp-Session-Id";
  static final String VERSION_HEADER = "MCP-Protocol-Version";
  /** Not a JSON-RPC code: what the reference SDKs answer for an unknown session. */
  static final int SESSION_NOT_FOUND = -32001;
  /**
   * Where an access gate in front of this transport puts the caller it admitted (a String): the MCP
   * session belongs to that caller, and so do the sandboxes it creates. Absent, the operations' own
   * owner is used.
   */
  public static final String CALLER_KEY = "phantom.caller";

  private static final SecureRandom RANDOM = new SecureRandom();

  private final SandboxOperations operations;
  private final McpHttpOptions options;
  private final InstantSource clock;
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();

  private static final class Session {
    final McpServer server;
    final String caller;
    volatile Instant lastUsed;

    Session(McpServer server, String caller, Instant now) {
      this.server = server;
      this.caller = caller;
      this.lastUsed = now;
    }
  }

  McpHttpTransport(SandboxOperations operations, McpHttpOptions options, InstantSource clock) {
    this.operations = operations;
    this.options = options;
    this.clock = clock;
  }

  /** Serves MCP at {@value #PATH} on {@code router}, each session over the operations given. */
  public static McpHttpTransport mount(Router router, SandboxOperations operations, McpHttpOptions options) {
    return mount(router, operations, options, InstantSource.system());
  }

  static McpHttpTransport mount(Router router, SandboxOperations operations, McpHttpOptions options,
      InstantSource clock) {
    McpHttpTransport transport = new McpHttpTransport(operations, options, clock);
    router.route(PATH).handler(transport::checkOrigin);
    router.route(PATH).handler(BodyHandler.create().setBodyLimit(options.maxBodyBytes()));
    router.route(PATH).handler(transport).failureHandler(transport::failure);
    return transport;
  }

  /** Sessions open now. */
  public int sessionCount() {
    return sessions.size();
  }

  @Override
  public void handle(RoutingContext ctx) {
    HttpMethod method = ctx.request().method();
    if (method == HttpMethod.POST) {
      post(ctx);
    } else if (method == HttpMethod.DELETE) {
      delete(ctx);
    } else {
      ctx.response().putHeader(HttpHeaders.ALLOW, "POST, DELETE");
      reply(ctx, 405, JsonRpc.error(null, JsonRpc.INVALID_REQUEST,
          "Method Not Allowed: this server offers no server-to-client stream; POST messages, DELETE the session"));
    }
  }

  private void post(RoutingContext ctx) {
    String accept = ctx.request().getHeader(HttpHeaders.ACCEPT);
    if (accept != null && !acceptsJson(accept)) {
      reply(ctx, 406, JsonRpc.error(null, JsonRpc.INVALID_REQUEST,
          "Not Acceptable: the client must accept application/json"));
      return;
    }
    String contentType = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
    if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
      reply(ctx, 415, JsonRpc.error(null, JsonRpc.INVALID_REQUEST,
          "Unsupported Media Type: the body must be application/json"));
      return;
    }
    if (!versionSupported(ctx)) {
      return;
    }
    String body = ctx.body().asString("UTF-8");
    Object message;
    try {
      message = JsonRpc.parse(body == null ? "" : body);
    } catch (DecodeException e) {
      reply(ctx, 400, JsonRpc.parseError("the body is not JSON"));
      return;
    }
    if (message instanceof JsonObject object && "initialize".equals(object.getValue("method"))
        && object.containsKey("id")) {
      initialize(ctx, object);
      return;
    }
    Session session = session(ctx);
    if (session == null) {
      return;
    }
    session.lastUsed = clock.instant();
    session.server.handle(message).onComplete(response -> {
      if (response == null) {
        reply(ctx, 202, null);
      } else {
        reply(ctx, 200, response);
      }
    }, failure -> reply(ctx, 500, JsonRpc.error(null, JsonRpc.INTERNAL_ERROR, "Internal error: " + failure)));
  }

  private void initialize(RoutingContext ctx, JsonObject message) {
    String caller = caller(ctx);
    McpServer server = new McpServer(caller == null ? operations : operations.forOwner(caller));
    server.handle(message).onComplete(response -> {
      if (response.containsKey("result")) {
        String id = newSessionId();
        makeRoom();
        sessions.put(id, new Session(server, caller, clock.instant()));
        ctx.response().putHeader(SESSION_HEADER, id);
      }
      reply(ctx, 200, response);
    }, failure -> reply(ctx, 500, JsonRpc.error(null, JsonRpc.INTERNAL_ERROR, "Internal error: " + failure)));
  }

  private void delete(RoutingContext ctx) {
    if (!versionSupported(ctx)) {
      return;
    }
    Session session = session(ctx);
    if (session != null) {
      sessions.remove(ctx.request().getHeader(SESSION_HEADER));
      reply(ctx, 204, null);
    }
  }

  private static String caller(RoutingContext ctx) {
    return ctx.get(CALLER_KEY) instanceof String caller ? caller : null;
  }

  /** The request's session, or null once a 400 (no id) or 404 (unknown or ended) was sent. */
  private Session session(RoutingContext ctx) {
    String id = ctx.request().getHeader(SESSION_HEADER);
    if (id == null || id.isBlank()) {
      reply(ctx, 400, JsonRpc.error(null, JsonRpc.INVALID_REQUEST,
          "Bad Request: the " + SESSION_HEADER + " header is required; send initialize to get one"));
      return null;
    }
    Session session = sessions.get(id);
    if (session != null && expired(session, clock.instant())) {
      sessions.remove(id, session);
      session = null;
    }
    if (session != null && !java.util.Objects.equals(session.caller, caller(ctx))) {
      // Another caller's session (and sandboxes) do not exist for this one.
      session = null;
    }
    if (session == null) {
      reply(ctx, 404, JsonRpc.error(null, SESSION_NOT_FOUND,
          "Session not found: it ended or never existed; send initialize to start a new one"));
    }
    return session;
  }

  private boolean versionSupported(RoutingContext ctx) {
    String version = ctx.request().getHeader(VERSION_HEADER);
    if (version != null && !McpServer.SUPPORTED_VERSIONS.contains(version)) {
      reply(ctx, 400, JsonRpc.error(null, JsonRpc.INVALID_REQUEST, "Bad Request: unsupported " + VERSION_HEADER
          + " '" + version + "'; supported: " + String.join(", ", McpServer.SUPPORTED_VERSIONS)));
      return false;
    }
    return true;
  }

  /** Drops idle sessions, then the least recently used ones, until a new one fits. */
  private void makeRoom() {
    Instant now = clock.instant();
    sessions.entrySet().removeIf(entry -> expired(entry.getValue(), now));
    while (sessions.size() >= options.maxSessions()) {
      sessions.entrySet().stream().min(Comparator.comparing(entry -> entry.getValue().lastUsed))
          .ifPresent(oldest -> sessions.remove(oldest.getKey()));
    }
  }

  private boolean expired(Session session, Instant now) {
    return session.lastUsed.plus(options.sessionIdleTimeout()).isBefore(now);
  }

  /** Against DNS rebinding: a browser page may only reach this endpoint from a loopback or allowed origin. */
  private void checkOrigin(RoutingContext ctx) {
    String origin = ctx.request().getHeader(HttpHeaders.ORIGIN);
    if (origin == null || originAllowed(origin, options)) {
      ctx.next();
    } else {
      reply(ctx, 403, JsonRpc.error(null, JsonRpc.INVALID_REQUEST, "Forbidden: origin '" + origin
          + "' is not allowed; only loopback origins are, unless the gateway is configured otherwise"));
    }
  }

  static boolean originAllowed(String origin, McpHttpOptions options) {
    for (String allowed : options.allowedOrigins()) {
      if (allowed.equalsIgnoreCase(origin)) {
        return true;
      }
    }
    try {
      URI uri = new URI(origin);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https")) {
        return false;
      }
      return host.equals("localhost") || host.equals("[::1]") || host.matches("127(\\.\\d{1,3}){3}");
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }

  private void failure(RoutingContext ctx) {
    int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
    String reason = status == 413 ? "Payload Too Large: the body is above " + options.maxBodyBytes() + " bytes"
        : "HTTP " + status;
    reply(ctx, status, JsonRpc.error(null, JsonRpc.INVALID_REQUEST, reason));
  }

  private static boolean acceptsJson(String accept) {
    String a = accept.toLowerCase(Locale.ROOT);
    return a.contains("application/json") || a.contains("*/*") || a.contains("application/*");
  }

  private static String newSessionId() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static void reply(RoutingContext ctx, int status, JsonObject body) {
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) {
      return;
    }
    response.setStatusCode(status);
    if (body == null) {
      response.end();
    } else {
      response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
    }
  }
}
