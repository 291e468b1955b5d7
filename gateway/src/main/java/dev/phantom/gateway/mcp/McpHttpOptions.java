package dev.phantom.gateway.mcp;

import java.time.Duration;
import java.util.List;

/**
 * Settings of the MCP endpoint on the gateway's HTTP server.
 *
 * @param allowedOrigins browser origins allowed besides loopback ones (exact, e.g.
 *     {@code https://agent.example.com}); a request whose {@code Origin} is neither gets 403, against
 *     DNS rebinding (default none)
 * @param maxBodyBytes largest POST body; larger gets 413 (default {@value #DEFAULT_MAX_BODY_BYTES})
 * @param maxSessions sessions kept at once; a new one beyond it ends the least recently used
 *     (default {@value #DEFAULT_MAX_SESSIONS})
 * @param sessionIdleTimeout a session unused this long ends, for clients that never DELETE theirs
 *     (default {@link #DEFAULT_SESSION_IDLE_TIMEOUT})
 */
public record McpHttpOptions(List<String> allowedOrigins, long maxBodyBytes, int maxSessions,
    Duration sessionIdleTimeout) {

  public static final long DEFAULT_MAX_BODY_BYTES = 16L << 20;
  public static final int DEFAULT_MAX_SESSIONS = 1000;
  public static final Duration DEFAULT_SESSION_IDLE_TIMEOUT = Duration.ofHours(1);
  public static final McpHttpOptions DEFAULTS = new McpHttpOptions(List.of(), DEFAULT_MAX_BODY_BYTES,
      DEFAULT_MAX_SESSIONS, DEFAULT_SESSION_IDLE_TIMEOUT);

  public McpHttpOptions {
    allowedOrigins = List.copyOf(allowedOrigins);
    if (maxBodyBytes < 1024 || maxSessions < 1 || sessionIdleTimeout.isNegative() || sessionIdleTimeout.isZero()) {
      throw new IllegalArgumentException("MCP HTTP options out of range: maxBodyBytes " + maxBodyBytes
          + " (at least 1024), maxSessions " + maxSessions + " (at least 1), sessionIdleTimeout "
          + sessionIdleTimeout + " (positive)");
    }
  }
}
