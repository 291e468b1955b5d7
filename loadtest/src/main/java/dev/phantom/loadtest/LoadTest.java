package dev.phantom.loadtest;

import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.api.v1.SandboxApiGrpcClient;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Closed-loop latency of {@code Run} through a running gateway, one request at a time, optionally
 * alternating with baselines measured in the same run: bare bubblewrap with the minimal profile's
 * mounts, and a plain host exec. The open-loop generator and HTML report come with the loadtest issue.
 */
@Command(name = "phantom-loadtest", mixinStandardHelpOptions = true,
    description = "Measures Run latency against a gateway and prints percentiles.")
public final class LoadTest implements Callable<Integer> {

  /** Bare bubblewrap with the same namespaces and mounts as the minimal profile, without the service. */
  static final List<String> BARE_BWRAP = List.of("bwrap", "--unshare-all", "--die-with-parent", "--new-session",
      "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
      "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin", "--proc", "/proc", "--dev", "/dev",
      "--tmpfs", "/tmp", "--");

  @Option(names = "--gateway", required = true, paramLabel = "HOST:PORT", description = "The gateway's gRPC address.")
  String gateway;

  @Option(names = "--profile", defaultValue = "minimal", description = "Profile to run (default: ${DEFAULT-VALUE}).")
  String profile;

  @Option(names = "--requests", defaultValue = "100", description = "Measured requests (default: ${DEFAULT-VALUE}).")
  int requests;

  @Option(names = "--warmup", defaultValue = "20", description = "Unmeasured requests first (default: ${DEFAULT-VALUE}).")
  int warmup;

  @Option(names = "--compare", description = "Alternate each request with bare bwrap and host exec of the same command.")
  boolean compare;

  @Parameters(arity = "0..*", paramLabel = "COMMAND", description = "Command to run (default: true).")
  List<String> argv = new ArrayList<>(List.of("true"));

  public static void main(String[] args) {
    System.exit(new CommandLine(new LoadTest()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (requests <= 0 || warmup < 0) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--requests must be > 0 and --warmup >= 0");
    }
    int colon = gateway.lastIndexOf(':');
    SocketAddress address = SocketAddress.inetSocketAddress(
        Integer.parseInt(gateway.substring(colon + 1)), gateway.substring(0, colon));
    Vertx vertx = Vertx.vertx();
    try {
      SandboxApiGrpcClient grpc = SandboxApiGrpcClient.create(
          GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(256L << 20)), address);
      // Calls start on one event loop, the connection's, so no reply event can outrun its handlers.
      Context context = vertx.getOrCreateContext();
      Function<RunRequest, Future<RunResult>> client = request -> {
        Promise<RunResult> result = Promise.promise();
        context.runOnContext(v -> grpc.run(request).onComplete(result));
        return result.future();
      };
      RunRequest request = RunRequest.newBuilder().setProfile(profile).addAllArgv(argv).build();
      LatencyStats phantom = new LatencyStats("phantom Run (" + profile + ")");
      LatencyStats bwrap = new LatencyStats("bare bwrap (no JVM service)");
      LatencyStats host = new LatencyStats("host exec");
      for (int i = 0; i < warmup + requests; i++) {
        boolean measured = i >= warmup;
        timePhantom(client, request, measured ? phantom : null);
        if (compare) {
          timeProcess(concat(BARE_BWRAP, argv), measured ? bwrap : null);
          timeProcess(argv, measured ? host : null);
        }
      }
      System.out.printf("%d measured requests after %d warm-up, one at a time, %s%n", requests, warmup,
          compare ? "alternating with the baselines" : "no baselines");
      System.out.println(LatencyStats.header());
      System.out.println(phantom.line());
      if (compare) {
        System.out.println(bwrap.line());
        System.out.println(host.line());
        System.out.printf("median ratio phantom/bare-bwrap: %.2f, phantom/host: %.2f%n",
            phantom.medianMillis() / bwrap.medianMillis(), phantom.medianMillis() / host.medianMillis());
      }
      return phantom.errors() == 0 ? 0 : 1;
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  private static void timePhantom(Function<RunRequest, Future<RunResult>> client, RunRequest request,
      LatencyStats stats) {
    long start = System.nanoTime();
    try {
      RunResult result = client.apply(request).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      long micros = (System.nanoTime() - start) / 1_000;
      if (stats != null) {
        if (result.getStatus() == RunStatus.RUN_STATUS_OK) {
          stats.record(micros);
        } else {
          stats.error();
        }
      }
    } catch (Exception e) {
      if (stats != null) {
        stats.error();
      }
    }
  }

  private static void timeProcess(List<String> command, LatencyStats stats) throws IOException, InterruptedException {
    long start = System.nanoTime();
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    int exit = process.waitFor();
    long micros = (System.nanoTime() - start) / 1_000;
    if (stats != null) {
      if (exit == 0) {
        stats.record(micros);
      } else {
        stats.error();
      }
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
