package dev.phantom.gateway.cli;

import dev.phantom.gateway.client.SandboxClient;
import dev.phantom.support.PhantomException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.logging.Level;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * A command on a session sandbox, which lives in a running gateway: {@code --gateway} or PHANTOM_GATEWAY
 * is required. Failures are one line on stderr with an exit code a script can tell apart:
 * 2 usage, 77 not authenticated, 69 gateway unavailable, 125 anything else.
 */
abstract class SessionCommand implements Callable<Integer> {

  static final int EXIT_UNAUTHENTICATED = 77;
  static final int EXIT_UNAVAILABLE = 69;

  @Spec
  CommandSpec spec;

  @Option(names = "--gateway", paramLabel = "HOST:PORT", defaultValue = "${env:PHANTOM_GATEWAY}",
      description = "The running gateway that holds the sandboxes (default: $PHANTOM_GATEWAY).")
  String gateway;

  @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:PHANTOM_API_KEY}",
      description = "API key for the gateway (default: $PHANTOM_API_KEY).")
  String apiKey;

  /** The command's work; its return value is the exit code. */
  abstract int call(SandboxClient client) throws Exception;

  @Override
  public final Integer call() {
    Logs.configure(Level.WARNING);
    if (gateway == null || gateway.isBlank()) {
      System.err.println("phantom: '" + spec.name() + "' needs a running gateway: start one with 'phantom up'"
          + " and set PHANTOM_GATEWAY=HOST:PORT (or pass --gateway)");
      return PhantomCli.EXIT_USAGE;
    }
    GatewayTarget target;
    try {
      target = GatewayTarget.open(gateway, apiKey, false);
    } catch (IllegalArgumentException e) {
      System.err.println("phantom: " + e.getMessage());
      return PhantomCli.EXIT_USAGE;
    }
    try (target) {
      return call(target.client());
    } catch (ParameterException e) {
      throw e;
    } catch (Throwable failure) {
      return fail(failure);
    }
  }

  /** Prints the failure as one line and returns its exit code. */
  static int fail(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    System.err.println("phantom: " + CliErrors.describe(cause));
    if (cause instanceof PhantomException phantom) {
      if (phantom.status() == GrpcStatus.UNAUTHENTICATED) {
        return EXIT_UNAUTHENTICATED;
      }
      if (phantom.status() == GrpcStatus.UNAVAILABLE) {
        return EXIT_UNAVAILABLE;
      }
    }
    if (cause instanceof ConnectException
        || (cause instanceof IOException && String.valueOf(cause.getMessage()).contains("Connection refused"))) {
      return EXIT_UNAVAILABLE;
    }
    return PhantomCli.EXIT_PHANTOM_ERROR;
  }

  static <T> T await(Future<T> future) {
    return future.toCompletionStage().toCompletableFuture().join();
  }

  /** {@code 30s}, {@code 500ms}, {@code 10m}, {@code 2h}, or plain seconds. */
  Duration duration(String text, String flag) {
    try {
      String t = text.trim().toLowerCase();
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      char unit = t.charAt(t.length() - 1);
      if (Character.isDigit(unit)) {
        return Duration.ofSeconds(Long.parseLong(t));
      }
      long amount = Long.parseLong(t.substring(0, t.length() - 1));
      return switch (unit) {
        case 's' -> Duration.ofSeconds(amount);
        case 'm' -> Duration.ofMinutes(amount);
        case 'h' -> Duration.ofHours(amount);
        default -> throw new NumberFormatException();
      };
    } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
      throw new ParameterException(spec.commandLine(), flag + " must look like 30s, 500ms or 10m, got '" + text + "'");
    }
  }

  static com.google.protobuf.Duration proto(Duration duration) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(duration.getSeconds()).setNanos(duration.getNano()).build();
  }

  static String instant(com.google.protobuf.Timestamp timestamp) {
    return timestamp.getSeconds() == 0 && timestamp.getNanos() == 0 ? null
        : Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos()).toString();
  }

  static JsonObject json(dev.phantom.api.v1.Sandbox sandbox) {
    JsonObject labels = new JsonObject();
    sandbox.getLabelsMap().forEach(labels::put);
    JsonObject json = new JsonObject()
        .put("id", sandbox.getId())
        .put("profile", sandbox.getProfile())
        .put("state", sandbox.getState().name().replace("SANDBOX_STATE_", "").toLowerCase())
        .put("labels", labels)
        .put("createdAt", instant(sandbox.getCreatedAt()))
        .put("idleDeadline", instant(sandbox.getIdleDeadline()))
        .put("maxDeadline", instant(sandbox.getMaxDeadline()))
        .put("nodeId", sandbox.getNodeId());
    if (!sandbox.getStopReason().isBlank()) {
      json.put("stopReason", sandbox.getStopReason());
    }
    return json;
  }

  /** An exec's result for scripts; output as UTF-8 text (bytes that are not UTF-8 become U+FFFD). */
  static JsonObject json(dev.phantom.api.v1.RunResult result, byte[] stdout, byte[] stderr) {
    JsonObject json = new JsonObject()
        .put("status", result.getStatus().name().replace("RUN_STATUS_", "").toLowerCase())
        .put("exitCode", result.hasExitCode() ? result.getExitCode() : null)
        .put("signal", result.hasSignal() ? result.getSignal() : null)
        .put("stdout", new String(stdout, java.nio.charset.StandardCharsets.UTF_8))
        .put("stderr", new String(stderr, java.nio.charset.StandardCharsets.UTF_8))
        .put("stdoutTruncated", result.getStdoutTruncated())
        .put("stderrTruncated", result.getStderrTruncated())
        .put("timings", new JsonObject()
            .put("spawnMicros", result.getTimings().getSpawnMicros())
            .put("wallMicros", result.getTimings().getWallMicros())
            .put("totalMicros", result.getTimings().getTotalMicros()))
        .put("nodeId", result.getNodeId());
    if (!result.getMessage().isBlank()) {
      json.put("message", result.getMessage());
    }
    return json;
  }

  static String labels(Map<String, String> labels) {
    StringBuilder text = new StringBuilder();
    labels.forEach((k, v) -> text.append(text.isEmpty() ? "" : ",").append(k).append('=').append(v));
    return text.isEmpty() ? "-" : text.toString();
  }
}
