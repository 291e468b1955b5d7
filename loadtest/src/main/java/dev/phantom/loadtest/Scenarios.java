package dev.phantom.loadtest;

import com.google.protobuf.ByteString;
import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.ExecStart;
import dev.phantom.api.v1.ReadFileRequest;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.api.v1.WorkspaceFile;
import dev.phantom.api.v1.WriteFilesRequest;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/** The scenarios: each is one operation against the API, plus the sessions some of them need. */
final class Scenarios {

  static final List<String> NAMES = List.of("run-true", "python-hello", "session-churn", "exec-warm", "files");

  private final Supplier<Api> channels;
  private final String profile;
  private final int fileSize;
  private final int sessionCount;
  private final List<String> sessions = new ArrayList<>();
  private final AtomicLong next = new AtomicLong();
  private final ByteString payload;

  Scenarios(Supplier<Api> channels, String profile, int fileSize, int sessionCount) {
    this.channels = channels;
    this.profile = profile;
    this.fileSize = fileSize;
    this.sessionCount = Math.max(1, sessionCount);
    byte[] bytes = new byte[fileSize];
    new Random(42).nextBytes(bytes);
    this.payload = ByteString.copyFrom(bytes);
  }

  /** Parses {@code name=weight,...} (or a single name) into cumulative weights, in order. */
  static Map<String, Integer> parseMix(String mix) {
    Map<String, Integer> weights = new LinkedHashMap<>();
    for (String part : mix.split(",")) {
      String item = part.trim();
      if (item.isEmpty()) {
        continue;
      }
      int eq = item.indexOf('=');
      String name = eq < 0 ? item : item.substring(0, eq).trim();
      if (!NAMES.contains(name)) {
        throw new IllegalArgumentException("unknown scenario '" + name + "' (known: " + String.join(", ", NAMES) + ")");
      }
      int weight = 1;
      if (eq >= 0) {
        try {
          weight = Integer.parseInt(item.substring(eq + 1).trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("weight of '" + name + "' must be a whole number, got '"
              + item.substring(eq + 1).trim() + "'");
        }
      }
      if (weight < 0) {
        throw new IllegalArgumentException("weight of '" + name + "' must be >= 0, got " + weight);
      }
      weights.merge(name, weight, Integer::sum);
    }
    if (weights.values().stream().mapToInt(Integer::intValue).sum() <= 0) {
      throw new IllegalArgumentException("the mix '" + mix + "' has no scenario with a positive weight");
    }
    return weights;
  }

  static boolean needsSessions(Map<String, Integer> mix) {
    return mix.getOrDefault("exec-warm", 0) > 0 || mix.getOrDefault("files", 0) > 0;
  }

  /** Creates the warm sessions that exec-warm and files use. */
  void setUp() throws Exception {
    for (int i = 0; i < sessionCount; i++) {
      sessions.add(await(channels.get().create(CreateSandboxRequest.newBuilder().setProfile(profile)
          .putLabels("created-by", "phantom-loadtest").build())).getId());
    }
  }

  /** Destroys the warm sessions all at once, waiting at most {@code waitMs}: one that is left expires by itself. */
  void tearDown(long waitMs) {
    List<Future<?>> destroys = new ArrayList<>();
    for (String id : sessions) {
      destroys.add(channels.get().destroy(id));
    }
    sessions.clear();
    try {
      Future.join(destroys).toCompletionStage().toCompletableFuture().get(waitMs, TimeUnit.MILLISECONDS);
    } catch (Exception ignored) {
      // expires by itself
    }
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
  }

  /** Starts one operation of the scenario; the future fails with an {@link Api.CallFailure} on any error. */
  Future<Void> start(String name) {
    Api api = channels.get();
    return switch (name) {
      case "run-true" -> api.run(RunRequest.newBuilder().setProfile(profile).addArgv("true").build())
          .compose(Scenarios::ok);
      case "python-hello" -> api.runCode(RunCodeRequest.newBuilder().setLanguage("python")
          .setSource("print('hello')\n").build()).compose(Scenarios::ok);
      case "session-churn" -> api.create(CreateSandboxRequest.newBuilder().setProfile(profile)
              .putLabels("created-by", "phantom-loadtest").build())
          .compose(sandbox -> api.exec(ExecStart.newBuilder().setSandboxId(sandbox.getId()).addArgv("true").build())
              .compose(Scenarios::ok)
              .transform(done -> api.destroy(sandbox.getId())
                  .compose(destroyed -> done.succeeded() ? Future.<Void>succeededFuture() : Future.<Void>failedFuture(done.cause()))));
      case "exec-warm" -> api.exec(ExecStart.newBuilder().setSandboxId(session()).addArgv("true").build())
          .compose(Scenarios::ok);
      case "files" -> {
        String id = session();
        String path = "loadtest-" + next.incrementAndGet() + ".bin";
        yield api.writeFiles(WriteFilesRequest.newBuilder().setSandboxId(id)
                .addFiles(WorkspaceFile.newBuilder().setPath(path).setContent(payload)).build())
            .compose(written -> api.readFile(ReadFileRequest.newBuilder().setSandboxId(id).setPath(path).build()))
            .compose(size -> size == fileSize ? Future.<Void>succeededFuture()
                : Future.<Void>failedFuture(new Api.CallFailure("CLIENT_SHORT_READ", "read " + size + " of " + fileSize + " bytes")));
      }
      default -> throw new IllegalArgumentException("unknown scenario " + name);
    };
  }

  private String session() {
    return sessions.get((int) (next.getAndIncrement() % sessions.size()));
  }

  private static Future<Void> ok(RunResult result) {
    if (result.getStatus() != RunStatus.RUN_STATUS_OK) {
      return Future.failedFuture(new Api.CallFailure(result.getStatus().name(), result.getMessage()));
    }
    if (result.hasExitCode() && result.getExitCode() != 0) {
      return Future.failedFuture(new Api.CallFailure("EXIT_" + result.getExitCode(), result.getStderr().toStringUtf8()));
    }
    if (result.hasSignal()) {
      return Future.failedFuture(new Api.CallFailure("SIGNAL_" + result.getSignal(), null));
    }
    return Future.succeededFuture();
  }
}
