package dev.phantom.gateway.cli;

import dev.phantom.gateway.access.KeyStore;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** API keys in the keys file a gateway reads at start ({@code phantom up}, {@code phantom node}). */
@Command(name = "keys", mixinStandardHelpOptions = true,
    description = "Create, list and revoke API keys. Gateways read the keys file when they start.",
    subcommands = {KeysCommand.Create.class, KeysCommand.List.class, KeysCommand.Revoke.class})
final class KeysCommand {

  @Option(names = "--file", paramLabel = "FILE", scope = picocli.CommandLine.ScopeType.INHERIT,
      description = "The keys file (default: $PHANTOM_HOME/keys.json, ~/.phantom/keys.json).")
  Path file;

  Path file() {
    return file != null ? file : KeyStore.defaultFile();
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create a key and print it. It is shown this once: only a salted hash is kept.")
  static final class Create implements Callable<Integer> {
    @ParentCommand
    KeysCommand keys;

    @Option(names = "--name", required = true, description = "Who the key is for; audit lines name it.")
    String name;

    @Option(names = "--rate", paramLabel = "PER_SECOND", defaultValue = "0",
        description = "Requests a second (default: the gateway's rate).")
    double rate;

    @Option(names = "--max-sandboxes", paramLabel = "N", defaultValue = "0",
        description = "Sandboxes (runs and sessions) at once (default: no quota).")
    int maxSandboxes;

    @Override
    public Integer call() throws Exception {
      if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
        System.err.println("phantom: --name must be 1-64 letters, digits, '.', '_' or '-'");
        return PhantomCli.EXIT_USAGE;
      }
      if (rate < 0 || maxSandboxes < 0) {
        System.err.println("phantom: --rate and --max-sandboxes must not be negative");
        return PhantomCli.EXIT_USAGE;
      }
      try {
        String key = KeyStore.create(keys.file(), name, rate, maxSandboxes);
        System.out.println(key);
        System.err.println("phantom: key '" + name + "' added to " + keys.file()
            + "; restart gateways to accept it. Send it as 'Authorization: Bearer <key>'.");
        return 0;
      } catch (IllegalArgumentException e) {
        System.err.println("phantom: " + e.getMessage());
        return PhantomCli.EXIT_USAGE;
      }
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Key names and limits (never the keys).")
  static final class List implements Callable<Integer> {
    @ParentCommand
    KeysCommand keys;

    @Option(names = "--json", description = "One JSON object per line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      java.util.List<JsonObject> described = KeyStore.describe(keys.file());
      for (JsonObject key : described) {
        System.out.println(json ? key.encode() : String.format("%-24s rate=%s max-sandboxes=%s created=%s",
            key.getString("name"), key.getValue("ratePerSecond"), key.getValue("maxSandboxes"), key.getString("createdAt")));
      }
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Remove a key by name.")
  static final class Revoke implements Callable<Integer> {
    @ParentCommand
    KeysCommand keys;

    @Option(names = "--name", required = true)
    String name;

    @Override
    public Integer call() throws Exception {
      if (!KeyStore.revoke(keys.file(), name)) {
        System.err.println("phantom: no key named '" + name + "' in " + keys.file());
        return 1;
      }
      System.err.println("phantom: key '" + name + "' revoked; restart gateways for it to take effect");
      return 0;
    }
  }
}
