package dev.phantom.gateway.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code phantom} command: start the mesh, join a cluster, run a sandbox. */
@Command(name = "phantom", mixinStandardHelpOptions = true, version = "Phantom Fragment 0.1.0",
    description = "Sandboxes for untrusted code, started in milliseconds.",
    footer = {"", "The launcher also runs: phantom loadtest (load generator, docs/loadtest.md), phantom test (the build's tests)."},
    subcommands = {UpCommand.class, NodeCommand.class, RunCommand.class, CreateCommand.class, ExecCommand.class,
        CpCommand.class, LsCommand.class, RmCommand.class, ListCommand.class, DestroyCommand.class, McpCommand.class,
        KeysCommand.class, ProfileCommand.class, MonitorCommand.class, ImageCommand.class, SnapshotCommand.class})
public final class PhantomCli {

  /** Exit code when phantom itself failed (bad input, unreachable service), as docker run uses it. */
  static final int EXIT_PHANTOM_ERROR = 125;
  static final int EXIT_USAGE = 2;

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new PhantomCli())
        .setExecutionExceptionHandler((failure, commandLine, parsed) -> {
          commandLine.getErr().println("phantom: " + CliErrors.describe(failure));
          return EXIT_PHANTOM_ERROR;
        });
    cli.setParameterExceptionHandler((failure, args2) -> {
      failure.getCommandLine().getErr().println("phantom: " + failure.getMessage());
      failure.getCommandLine().getErr().println("Try 'phantom " + failure.getCommandLine().getCommandName()
          + " --help'.");
      return EXIT_USAGE;
    });
    int code = cli.execute(args);
    if (code != Integer.MIN_VALUE) {
      System.exit(code);
    }
  }
}
