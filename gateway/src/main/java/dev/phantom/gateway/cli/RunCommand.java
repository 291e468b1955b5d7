package dev.phantom.gateway.cli;

import com.google.protobuf.ByteString;
import dev.phantom.api.v1.ResourceLimits;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.gateway.client.SandboxClient;
import io.vertx.core.Future;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "run", mixinStandardHelpOptions = true,
    description = {"Run one command in a fresh sandbox, stream its output, and exit with its exit code.",
        "Talks to the gateway given by --gateway or PHANTOM_GATEWAY; without one, starts the mesh in this process.",
        "Exit codes: the command's own; 128+N if killed by signal N; 124 timeout; 126/127 could not start; "
            + "125 phantom itself failed."})
final class RunCommand implements Callable<Integer> {

  static final int EXIT_TIMEOUT = 124;
  static final int EXIT_CANNOT_EXECUTE = 126;
  static final int EXIT_NOT_FOUND = 127;

  @Spec
  CommandSpec spec;

  @Option(names = "--profile", required = true, description = "Sandbox profile, e.g. minimal or python-dev.")
  String profile;

  @Option(names = "--timeout", paramLabel = "DURATION",
      description = "Wall-clock limit such as 30s, 500ms or 2m (default: the profile's).")
  String timeout;

  @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "Extra environment variable.")
  Map<String, String> env = new LinkedHashMap<>();

  @Option(names = "--stdin", description = "Send this process's standard input to the command.")
  boolean stdin;

  @Mixin
  TargetFlags gateway;

  @Option(names = "--workspace", paramLabel = "HOSTDIR",
      description = {"Bind this host directory read-write at /workspace (embedded mesh, or a gateway that allows it).",
          "The sandbox runs as an unprivileged host user of its own (uid 65520), which must be able to reach and write it."})
  Path workspace;

  @Option(names = "--file", paramLabel = "LOCAL:SANDBOXPATH",
      description = "Copy a local file into /workspace before the command starts (repeatable).")
  List<String> files = new ArrayList<>();

  @Option(names = "--memory", paramLabel = "SIZE", description = "Memory limit such as 256MiB or 1GiB (default: the profile's).")
  String memory;

  @Option(names = "--pids", paramLabel = "N", description = "Process limit (default: the profile's).")
  Integer pids;

  @Option(names = "--cpu", paramLabel = "CORES", description = "CPU limit in cores such as 0.5 or 500m (default: the profile's).")
  String cpu;

  @Option(names = {"-v", "--verbose"},
      description = "After the run, print to stderr how it started (warm slot or cold spawn), where, and its timings.")
  boolean verbose;

  @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "The command and its arguments (after --).")
  List<String> argv;

  @Option(names = "--json", description = {"Print the result as one JSON object when the command ends, instead of "
      + "streaming its output (as 'phantom exec --json'). The exit code stays the command's."})
  boolean json;

  @Override
  public Integer call() throws Exception {
    Logs.configure(Level.WARNING);
    RunRequest request = request();
    try (GatewayTarget target = gateway.open(true)) {
      return run(target.client(), request);
    }
  }

  private RunRequest request() throws Exception {
    RunRequest.Builder request = RunRequest.newBuilder().setProfile(profile).addAllArgv(argv).putAllEnv(env);
    if (timeout != null) {
      Duration parsed = parseDuration(timeout);
      request.setTimeout(com.google.protobuf.Duration.newBuilder()
          .setSeconds(parsed.getSeconds()).setNanos(parsed.getNano()));
    }
    if (stdin) {
      request.setStdin(ByteString.readFrom(System.in));
    }
    ResourceLimits.Builder limits = ResourceLimits.newBuilder();
    if (memory != null) {
      limits.setMemoryBytes(CliUnits.bytes(memory, "--memory", spec));
    }
    if (pids != null) {
      limits.setPids(pids);
    }
    if (cpu != null) {
      limits.setCpuMillicores(CliUnits.millicores(cpu, spec));
    }
    request.setLimits(limits);
    for (String file : files) {
      request.addFiles(CliUnits.workspaceFile(file, spec));
    }
    if (workspace != null) {
      if (!Files.isDirectory(workspace)) {
        throw new ParameterException(spec.commandLine(), "--workspace " + workspace + " is not a directory");
      }
      request.setHostWorkspace(workspace.toRealPath().toString());
    }
    return request.build();
  }

  private int run(SandboxClient client, RunRequest request) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    if (json) {
      RunResult result = await(client.run(request));
      out.println(SessionCommand.json(result, result.getStdout().toByteArray(), result.getStderr().toByteArray()).encode());
      out.flush();
      return exitCode(result, false, err);
    }
    StringBuilder stderrHead = new StringBuilder();
    RunResult result = await(client.runStream(request, event -> {
      if (event.hasOutput()) {
        boolean isStderr = event.getOutput().getStream() == dev.phantom.api.v1.OutputStream.OUTPUT_STREAM_STDERR;
        if (isStderr && stderrHead.length() < 4096) {
          stderrHead.append(event.getOutput().getData().toStringUtf8());
        }
        PrintStream target = isStderr ? err : out;
        target.writeBytes(event.getOutput().getData().toByteArray());
        target.flush();
      }
    }));
    // bubblewrap's own error already reached stderr with the output: do not print it twice.
    boolean messageShown = !result.getMessage().isBlank() && stderrHead.indexOf(result.getMessage()) >= 0;
    if (verbose) {
      err.println(describe(result));
    }
    return exitCode(result, messageShown, err);
  }

  /** One line: how the run started and where its time went. */
  static String describe(RunResult result) {
    var t = result.getTimings();
    return String.format(java.util.Locale.ROOT, "phantom: %s, %s on node %s; spawn %.2f ms, command %.2f ms, total %.2f ms",
        result.getStatus().name().replace("RUN_STATUS_", "").toLowerCase(java.util.Locale.ROOT),
        result.getWarm() ? "warm slot" : "cold spawn", result.getNodeId(), t.getSpawnMicros() / 1000.0,
        t.getWallMicros() / 1000.0, t.getTotalMicros() / 1000.0);
  }

  static int exitCode(RunResult result, boolean messageShown, PrintStream err) {
    return switch (result.getStatus()) {
      case RUN_STATUS_TIMEOUT -> {
        err.println("phantom: " + message(result, "the sandbox timed out and was killed"));
        yield EXIT_TIMEOUT;
      }
      case RUN_STATUS_FAILED_TO_START -> {
        if (!messageShown) {
          err.println("phantom: " + message(result, "the sandbox failed to start"));
        }
        yield result.getMessage().contains("No such file") ? EXIT_NOT_FOUND : EXIT_CANNOT_EXECUTE;
      }
      case RUN_STATUS_OOM_KILLED, RUN_STATUS_KILLED -> {
        err.println("phantom: " + message(result, "the sandbox was killed"));
        yield 128 + (result.hasSignal() ? result.getSignal() : 9);
      }
      default -> result.hasSignal() ? 128 + result.getSignal() : result.getExitCode();
    };
  }

  private static String message(RunResult result, String fallback) {
    return result.getMessage().isBlank() ? fallback : result.getMessage();
  }

  private Duration parseDuration(String text) {
    try {
      String t = text.trim().toLowerCase();
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      long amount = Long.parseLong(t.substring(0, t.length() - 1));
      return switch (t.charAt(t.length() - 1)) {
        case 's' -> Duration.ofSeconds(amount);
        case 'm' -> Duration.ofMinutes(amount);
        case 'h' -> Duration.ofHours(amount);
        default -> Duration.ofSeconds(Long.parseLong(t));
      };
    } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
      throw new ParameterException(spec.commandLine(),
          "--timeout must look like 30s, 500ms or 2m, got '" + text + "'");
    }
  }

  private static <T> T await(Future<T> future) {
    return future.toCompletionStage().toCompletableFuture().join();
  }
}
