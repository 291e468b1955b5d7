package dev.phantom.gateway.it.abuse;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Duration;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.api.v1.SandboxApiGrpcClient;
import dev.phantom.gateway.it.EmbeddedMesh;
import dev.phantom.proto.zygote.v1.PoolSize;
import dev.phantom.proto.zygote.v1.PoolStates;
import dev.phantom.proto.zygote.v1.SetPoolSizesRequest;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.support.PhantomException;
import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The embedded mesh under attack, shared by every abuse test class (started once, closed when the suite
 * ends), and the requests the tests send it through the public gRPC API.
 *
 * <p>Every request carries {@link #SUITE_VAR} in its environment and may carry a per-test {@link #MARK_VAR}:
 * the host side finds the sandbox's processes by those values in {@code /proc/<pid>/environ} (the command
 * and its children) or {@code /proc/<pid>/cmdline} (bubblewrap's own {@code --setenv} arguments), so other
 * users of the machine never confuse the counts.
 */
final class Sandboxes implements BeforeAllCallback {

  static final String SUITE_VAR = "PHANTOM_ABUSE_SUITE";
  static final String SUITE_MARK = "abuse-suite-" + UUID.randomUUID();
  static final String MARK_VAR = "PHANTOM_ABUSE_MARK";

  /** Helpers every Python check starts with: raw syscalls with errno names, and one JSON line out. */
  static final String PRELUDE = """
      import ctypes, errno, json, os, sys
      libc = ctypes.CDLL(None, use_errno=True)
      libc.syscall.restype = ctypes.c_long
      def sc(nr, *args):
          ctypes.set_errno(0)
          r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])
          e = ctypes.get_errno()
          return {"ret": r, "errno": errno.errorcode.get(e, str(e)) if r == -1 else None}
      def err(e):
          return errno.errorcode.get(e.errno, str(e.errno))
      def out(obj):
          print(json.dumps(obj))
      """;

  static final long LARGE_MESSAGE_BYTES = 16L * 1024 * 1024;

  private EmbeddedMesh mesh;
  private final AtomicReference<GrpcClient> largeClient = new AtomicReference<>();

  @Override
  public void beforeAll(ExtensionContext context) {
    SandboxHost.assumeBubblewrap();
    mesh = context.getRoot().getStore(ExtensionContext.Namespace.create(Sandboxes.class))
        .getOrComputeIfAbsent(Shared.class, key -> new Shared(EmbeddedMesh.start(AbuseConfig.nodeConfig())),
            Shared.class)
        .mesh();
  }

  /** Closed by JUnit when the root context (the whole test run) ends. */
  private record Shared(EmbeddedMesh mesh) implements AutoCloseable {
    @Override
    public void close() {
      mesh.close();
    }
  }

  EmbeddedMesh mesh() {
    return mesh;
  }

  static String newMark() {
    return "mark-" + UUID.randomUUID();
  }

  static RunRequest.Builder request(String profile, String... argv) {
    return RunRequest.newBuilder().setProfile(profile).addAllArgv(List.of(argv)).putEnv(SUITE_VAR, SUITE_MARK);
  }

  static RunRequest.Builder python(String profile, String script, String... args) {
    RunRequest.Builder request = request(profile, "python3", "-c", PRELUDE + script);
    return request.addAllArgv(List.of(args));
  }

  static Duration seconds(long seconds) {
    return Duration.newBuilder().setSeconds(seconds).build();
  }

  RunResult run(RunRequest.Builder request) {
    awaitWarmSlot(request);
    return expectWarm(request, mesh.run(request.build()));
  }

  /**
   * In warm mode, waits until the node holds an idle slot of the request's profile, so that the request
   * goes to a warm slot for sure (the pools refill one slot at a time).
   */
  private void awaitWarmSlot(RunRequest.Builder request) {
    if (AbuseConfig.warm() && warmEligible(request)) {
      mesh.awaitIdleSlot(request.getProfile());
    }
  }


  /**
   * Warm mode: sets every tested profile's pool to {@code size} and, for 0, waits until the last idle slot
   * is gone, so that what a test counts on the host is what its runs left, not slots waiting for the next.
   */
  void resizePools(int size) {
    if (!AbuseConfig.warm()) {
      return;
    }
    Vertx vertx = mesh.node.mesh().vertx();
    String node = mesh.node.mesh().membership().selfId();
    SetPoolSizesRequest.Builder sizes = SetPoolSizesRequest.newBuilder();
    AbuseConfig.profiles().forEach(profile -> sizes.addSizes(PoolSize.newBuilder().setProfile(profile).setSize(size)));
    EmbeddedMesh.await(BusRpc.request(vertx.eventBus(), Addresses.zygotePoolsSet(node), sizes.build(),
        PoolStates.parser(), 10_000));
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    while (size == 0) {
      PoolStates states = mesh.pools();
      if (states.getPoolsList().stream().allMatch(p -> p.getIdle() == 0)) {
        return;
      }
      assertThat(System.nanoTime()).as("pools did not empty: %s", states).isLessThan(deadline);
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Slots are made with the profile's default limits and their own workspace. Python slots are forked
   * (their workspace is out of the zygote's reach): files travel in the job line, up to its limit, and
   * runs that collect files take the cold path.
   */
  private static boolean warmEligible(RunRequest.Builder request) {
    boolean forked = request.getProfile().startsWith("python");
    long fileBytes = request.getFilesList().stream().mapToLong(f -> f.getContent().size()).sum();
    return request.getLimits().equals(dev.phantom.api.v1.ResourceLimits.getDefaultInstance())
        && request.getHostWorkspace().isEmpty()
        && (!forked || (request.getCollectCount() == 0 && fileBytes < 128 * 1024));
  }

  /** In warm mode, a result of an eligible request that did not come from a warm slot fails the test. */
  private static RunResult expectWarm(RunRequest.Builder request, RunResult result) {
    if (AbuseConfig.warm() && warmEligible(request)) {
      assertThat(result.getWarm()).as("warm mode: this run should have taken a warm slot: %s", describe(result)).isTrue();
    }
    return result;
  }

  /**
   * Runs through a plain generated-stub call whose client accepts messages up to
   * {@value #LARGE_MESSAGE_BYTES} bytes, like common gRPC clients (grpc-java's default is 4 MiB). The
   * project's {@code SandboxClient} keeps Vert.x's 256 KiB default, too small for a result carrying the
   * profile's 1 MiB of stdout; {@link ConnectionIT} holds that against it. Errors come back as
   * {@link PhantomException} with the server's status.
   */
  RunResult runAllowingLargeResults(RunRequest.Builder request) {
    awaitWarmSlot(request);
    Vertx vertx = mesh.node.mesh().vertx();
    GrpcClient client = largeClient.updateAndGet(existing ->
        existing != null ? existing : GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(LARGE_MESSAGE_BYTES)));
    SocketAddress server = SocketAddress.inetSocketAddress(mesh.grpcPort, "127.0.0.1");
    Promise<RunResult> outcome = Promise.promise();
    // Started on one context, as SandboxClient does, so that the response's handlers are set in time.
    vertx.getOrCreateContext().runOnContext(v -> client.request(server, SandboxApiGrpcClient.Run)
        .compose(call -> call.send(request.build()))
        .compose(response -> {
          Promise<RunResult> last = Promise.promise();
          RunResult[] message = new RunResult[1];
          response.handler(m -> message[0] = m);
          response.exceptionHandler(last::tryFail);
          response.endHandler(end -> {
            if (response.status() == GrpcStatus.OK) {
              last.tryComplete(message[0]);
            } else {
              last.tryFail(new PhantomException(response.status(), response.statusMessage()));
            }
          });
          return last.future();
        })
        .onComplete(outcome));
    return expectWarm(request, EmbeddedMesh.await(outcome.future()));
  }

  Future<RunResult> start(RunRequest.Builder request) {
    awaitWarmSlot(request);
    return mesh.client.run(request.build());
  }

  /** Runs a Python check that must end normally, and returns the JSON object on its last stdout line. */
  JsonObject runPython(String profile, String script, String... args) {
    return json(run(python(profile, script, args)));
  }

  static JsonObject json(RunResult result) {
    String stdout = result.getStdout().toStringUtf8();
    assertThat(result.getStatus()).as("the check itself must run to its end; stdout: %s; stderr: %s; message: %s",
        stdout, result.getStderr().toStringUtf8(), result.getMessage()).isEqualTo(RunStatus.RUN_STATUS_OK);
    assertThat(result.getExitCode()).as("exit code of the check; stderr: %s", result.getStderr().toStringUtf8())
        .isZero();
    List<String> lines = stdout.lines().toList();
    assertThat(lines).as("the check's output").isNotEmpty();
    return new JsonObject(lines.getLast());
  }

  static String describe(RunResult result) {
    return "status " + result.getStatus() + ", exit " + result.getExitCode() + ", signal " + result.getSignal()
        + ", message '" + result.getMessage() + "', stdout '" + abbreviate(result.getStdout().toStringUtf8())
        + "', stderr '" + abbreviate(result.getStderr().toStringUtf8()) + "'";
  }

  private static String abbreviate(String text) {
    return text.length() <= 2000 ? text : text.substring(0, 2000) + "...";
  }
}
