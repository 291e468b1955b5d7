package dev.phantom.gateway.cli;

import dev.phantom.api.v1.ExecStart;
import dev.phantom.api.v1.OutputChunk;
import dev.phantom.api.v1.OutputStream;
import dev.phantom.api.v1.RunResult;
import dev.phantom.gateway.client.SandboxClient;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "exec", mixinStandardHelpOptions = true,
    description = {"Run a command in a sandbox made by 'phantom create', stream its output, exit with its code.",
        "Ctrl-C is sent to the command as SIGINT; a second Ctrl-C within a second cancels it and exits 130.",
        "Exit codes as 'phantom run': the command's own; 128+N if killed by signal N; 124 timeout; "
            + "126/127 could not start; 77 not authenticated; 69 gateway unavailable; 125 other failures."})
final class ExecCommand extends SessionCommand {

  @Parameters(index = "0", paramLabel = "SANDBOX", description = "The sandbox id.")
  String sandbox;

  @Parameters(index = "1..*", arity = "1..*", paramLabel = "COMMAND", description = "The command and its arguments (after --).")
  List<String> argv;

  @Option(names = "--timeout", paramLabel = "DURATION", description = "Wall-clock limit such as 30s (default: the profile's).")
  String timeout;

  @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "Extra environment variable.")
  Map<String, String> env = new LinkedHashMap<>();

  @Option(names = {"-w", "--cwd"}, paramLabel = "DIR", description = "Working directory, relative to /workspace or absolute.")
  String cwd;

  @Option(names = {"-i", "--stdin"}, description = "Send this process's standard input to the command.")
  boolean stdin;

  @Option(names = "--json", description = {"Print the result as one JSON object when the command ends, instead of "
      + "streaming its output: status, exitCode or signal, stdout, stderr (UTF-8 text), truncation, message, timings.",
      "The exit code stays the command's."})
  boolean json;

  @Override
  int call(SandboxClient client) throws Exception {
    ExecStart.Builder start = ExecStart.newBuilder().setSandboxId(sandbox).addAllArgv(argv).putAllEnv(env);
    if (timeout != null) {
      start.setTimeout(proto(duration(timeout, "--timeout")));
    }
    if (cwd != null) {
      start.setCwd(cwd);
    }
    PrintStream out = System.out;
    PrintStream err = System.err;
    StringBuilder stderrHead = new StringBuilder();
    ByteArrayOutputStream stdoutKept = new ByteArrayOutputStream();
    ByteArrayOutputStream stderrKept = new ByteArrayOutputStream();
    Consumer<OutputChunk> print = chunk -> {
      boolean isStderr = chunk.getStream() == OutputStream.OUTPUT_STREAM_STDERR;
      if (json) {
        (isStderr ? stderrKept : stdoutKept).writeBytes(chunk.getData().toByteArray());
        return;
      }
      if (isStderr && stderrHead.length() < 4096) {
        stderrHead.append(chunk.getData().toStringUtf8());
      }
      PrintStream target = isStderr ? err : out;
      target.writeBytes(chunk.getData().toByteArray());
      target.flush();
    };
    // With --stdin, input goes to the command as it is typed or piped, not after it ends.
    SandboxClient.ExecCall exec = client.execInteractive(start.build(), stdin ? System.in : null, print);
    RunResult exit;
    try (Interrupts interrupts = Interrupts.forward(exec)) {
      CompletableFuture<RunResult> exited = exec.exit().toCompletionStage().toCompletableFuture();
      CompletableFuture.anyOf(exited, interrupts.gaveUp()).join();
      if (interrupts.gaveUp().isDone()) {
        err.println("phantom: interrupted; the command was cancelled");
        return Interrupts.EXIT_INTERRUPTED;
      }
      exit = exited.join();
    }
    if (json) {
      out.println(json(exit, stdoutKept.toByteArray(), stderrKept.toByteArray()).encode());
      out.flush();
    }
    boolean messageShown = !exit.getMessage().isBlank() && stderrHead.indexOf(exit.getMessage()) >= 0;
    return RunCommand.exitCode(exit, messageShown, err);
  }
}
