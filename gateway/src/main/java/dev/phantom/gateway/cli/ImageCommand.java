package dev.phantom.gateway.cli;

import dev.phantom.proto.store.v1.GcReport;
import dev.phantom.proto.store.v1.ImportResult;
import dev.phantom.proto.store.v1.StoreStats;
import dev.phantom.proto.store.v1.TagInfo;
import dev.phantom.support.PhantomException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.logging.Level;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code phantom image import|list|rm|stats|gc}: root filesystems in the fragment store. Without
 * {@code --gateway} the store in {@code $PHANTOM_HOME/store} is opened in this process. Failures are one
 * line on stderr: exit 2 for the caller's input (bad archive or name, unknown image), 69 gateway
 * unavailable, 77 key refused, 125 otherwise.
 */
@Command(name = "image", mixinStandardHelpOptions = true,
    description = {"Root filesystems in the fragment store: import a tar archive (docker export, docker save,"
        + " OCI layout; plain, gzip or zstd) or a directory, list, remove.", "See docs/fragment-store.md."},
    subcommands = {ImageCommand.Import.class, ImageCommand.ListImages.class, ImageCommand.Remove.class,
        ImageCommand.Stats.class, ImageCommand.Gc.class})
final class ImageCommand implements Callable<Integer> {

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  /** Where the store is: a gateway, or a local data directory. */
  static final class Where {
    @Mixin
    TargetFlags target;

    @Option(names = "--store-dir", paramLabel = "DIR",
        description = "The local store's data directory (default: $PHANTOM_HOME/store, ~/.phantom/store); ignored with --gateway.")
    Path storeDir;
  }

  private interface Body {
    int run(ImageClient client, PrintWriter out) throws Exception;
  }

  private static int with(Where where, CommandLine.Model.CommandSpec spec, Body body) {
    Logs.configure(Level.WARNING);
    ImageClient client;
    try {
      client = ImageClient.open(where.target.gateway, where.target.apiKey, where.storeDir);
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("phantom: " + e.getMessage());
      return PhantomCli.EXIT_USAGE;
    } catch (RuntimeException e) {
      return SessionCommand.fail(e);
    }
    try (client) {
      PrintWriter out = spec.commandLine().getOut();
      int code = body.run(client, out);
      out.flush();
      return code;
    } catch (Throwable failure) {
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
      if (cause instanceof PhantomException p && (p.status() == GrpcStatus.INVALID_ARGUMENT
          || p.status() == GrpcStatus.NOT_FOUND || p.status() == GrpcStatus.PERMISSION_DENIED)) {
        System.err.println("phantom: " + CliErrors.describe(cause));
        return PhantomCli.EXIT_USAGE;
      }
      return SessionCommand.fail(failure);
    }
  }

  @Command(name = "import", mixinStandardHelpOptions = true,
      description = "Import a root filesystem and tag it NAME[:VERSION] (:latest when none is given).")
  static final class Import implements Callable<Integer> {
    @Mixin
    Where where;
    @Spec
    CommandLine.Model.CommandSpec spec;
    @Parameters(paramLabel = "FILE|DIR", description = "A tar archive or a directory (a root filesystem or an OCI layout).")
    Path source;
    @Option(names = "--name", required = true, paramLabel = "NAME[:VERSION]", description = "The tag to set.")
    String name;
    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    @Override
    public Integer call() {
      return with(where, spec, (client, out) -> {
        ImportResult r = client.importPath(source, name);
        if (json) {
          out.println(new JsonObject().put("tag", r.getTag()).put("manifest", r.getManifestHex())
              .put("format", r.getFormat()).put("layers", r.getLayers()).put("files", r.getFiles())
              .put("logicalBytes", r.getLogicalBytes()).put("chunks", r.getChunks()).put("newChunks", r.getNewChunks())
              .put("newStoredBytes", r.getNewStoredBytes()).put("tookMs", r.getTookMs()).encode());
        } else {
          out.printf("%s  sha256:%s%n", r.getTag(), r.getManifestHex());
          out.printf("  %s%s: %d files, %s in %d chunks; %d new chunks took %s; %.1f s%n", r.getFormat(),
              r.getLayers() > 0 ? " (" + r.getLayers() + " layers)" : "", r.getFiles(), size(r.getLogicalBytes()),
              r.getChunks(), r.getNewChunks(), size(r.getNewStoredBytes()), r.getTookMs() / 1000.0);
        }
        return 0;
      });
    }
  }

  @Command(name = "list", aliases = "ls", mixinStandardHelpOptions = true,
      description = "List images: name, manifest, size of their files.")
  static final class ListImages implements Callable<Integer> {
    @Mixin
    Where where;
    @Spec
    CommandLine.Model.CommandSpec spec;
    @Option(names = "--json", description = "Print a JSON array.")
    boolean json;

    @Override
    public Integer call() {
      return with(where, spec, (client, out) -> {
        var tags = client.list().getTagsList();
        if (json) {
          JsonArray array = new JsonArray();
          tags.forEach(t -> array.add(new JsonObject().put("tag", t.getTag()).put("manifest", t.getManifestHex())
              .put("logicalBytes", t.getLogicalBytes())));
          out.println(array.encode());
          return 0;
        }
        int width = tags.stream().mapToInt(t -> t.getTag().length()).max().orElse(4);
        for (TagInfo t : tags) {
          out.printf("%-" + width + "s  %s  %s%n", t.getTag(), t.getManifestHex().substring(0, 12),
              size(t.getLogicalBytes()));
        }
        return 0;
      });
    }
  }

  @Command(name = "rm", mixinStandardHelpOptions = true,
      description = "Remove an image's tag; its data goes at the next 'phantom image gc' unless another tag uses it.")
  static final class Remove implements Callable<Integer> {
    @Mixin
    Where where;
    @Spec
    CommandLine.Model.CommandSpec spec;
    @Parameters(paramLabel = "NAME[:VERSION]", arity = "1..*")
    java.util.List<String> names;

    @Override
    public Integer call() {
      return with(where, spec, (client, out) -> {
        for (String name : names) {
          client.remove(name);
        }
        return 0;
      });
    }
  }

  @Command(name = "stats", mixinStandardHelpOptions = true,
      description = "Logical, unique and stored bytes, and the deduplication ratio.")
  static final class Stats implements Callable<Integer> {
    @Mixin
    Where where;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      return with(where, spec, (client, out) -> {
        StoreStats s = client.stats();
        out.printf("%d images (%d manifests), %d chunks, %d trees%n", s.getTags(), s.getManifests(), s.getChunks(),
            s.getTrees());
        out.printf("logical %s, unique %s, stored %s: dedup %.2fx, with compression %.2fx%n", size(s.getLogicalBytes()),
            size(s.getUniqueBytes()), size(s.getStoredBytes()), s.getDedupRatio(), s.getSavingsRatio());
        return 0;
      });
    }
  }

  @Command(name = "gc", mixinStandardHelpOptions = true,
      description = "Delete what no image uses (objects younger than the store's grace period stay).")
  static final class Gc implements Callable<Integer> {
    @Mixin
    Where where;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      return with(where, spec, (client, out) -> {
        GcReport r = client.collectGarbage();
        out.printf("deleted %d chunks and %d trees (%s); kept %d reachable chunks and %d too young to collect%n",
            r.getDeletedChunks(), r.getDeletedTrees(), size(r.getFreedBytes()), r.getReachableChunks(), r.getKeptYoung());
        return 0;
      });
    }
  }

  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }
}
