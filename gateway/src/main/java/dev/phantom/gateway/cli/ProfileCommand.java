package dev.phantom.gateway.cli;

import dev.phantom.proto.policy.v1.CompileProfileRequest;
import dev.phantom.proto.policy.v1.CompiledProfile;
import dev.phantom.proto.policy.v1.ListProfilesRequest;
import dev.phantom.proto.policy.v1.ProfileInfo;
import dev.phantom.proto.policy.v1.ProfileList;
import dev.phantom.support.HostArch;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.support.mesh.MeshOptions;
import dev.phantom.support.mesh.PhantomNode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * {@code phantom profile list|show|compile}: sandbox profiles and their seccomp filters. Starts an
 * embedded node with only the {@code policy} role and asks it over the event bus, like every other
 * caller; the gateway never links the compiler. A profile that does not read or compile prints one
 * line per problem ({@code file:line:column: field: problem}) and exits 2.
 */
@Command(name = "profile", mixinStandardHelpOptions = true,
    description = {"Sandbox profiles: list them, show one, compile one (or a YAML file) to the seccomp filter"
        + " bwrap --seccomp reads.", "The language is described in docs/policy.md."},
    subcommands = {ProfileCommand.ListProfiles.class, ProfileCommand.Show.class, ProfileCommand.Compile.class})
final class ProfileCommand implements Callable<Integer> {

  /** Exit code for a bad profile (unknown name, YAML or policy errors). */
  static final int EXIT_BAD_PROFILE = 2;
  private static final long TIMEOUT_MS = 30_000;

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  /** Options every subcommand takes. */
  static final class Common {
    @Option(names = "--profile-dir", paramLabel = "DIR",
        description = "Also load the *.yaml profiles of DIR (repeatable), as the policy role's profileDirs.")
    List<Path> profileDirs = new ArrayList<>();
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the profiles: name, parent, description.")
  static final class ListProfiles implements Callable<Integer> {
    @Mixin
    Common common;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      return withPolicy(common, spec, node -> {
        ProfileList list = await(BusRpc.request(node.mesh().vertx().eventBus(), Addresses.POLICY_LIST,
            ListProfilesRequest.getDefaultInstance(), ProfileList.parser(), TIMEOUT_MS));
        PrintWriter out = spec.commandLine().getOut();
        int width = list.getNamesList().stream().mapToInt(String::length).max().orElse(4);
        for (ProfileInfo p : list.getProfilesList()) {
          String parent = p.getExtends().isEmpty() ? "-" : p.getExtends();
          out.printf("%-" + width + "s  %-" + width + "s  %s%n", p.getName(), parent, p.getDescription());
        }
        out.flush();
        return 0;
      });
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Print a profile's YAML as written and a summary of its compiled filter.")
  static final class Show implements Callable<Integer> {
    @Mixin
    Common common;
    @Spec
    CommandLine.Model.CommandSpec spec;
    @Parameters(paramLabel = "NAME|FILE", description = "A profile name, or a YAML file (it may extend a loaded profile).")
    String profile;
    @Option(names = "--arch", paramLabel = "ARCH", description = "x86_64 or aarch64 (default: this host's).")
    String arch;
    @Option(names = "--resolved", description = "Print the resolved profile (extends applied, groups expanded,"
        + " implicit rules added) instead of the YAML.")
    boolean resolved;

    @Override
    public Integer call() throws Exception {
      CompileProfileRequest.Builder request = request(profile, arch).setIncludeSource(true);
      return withPolicy(common, spec, node -> {
        CompiledProfile p = compile(node, request.build());
        PrintWriter out = spec.commandLine().getOut();
        String text = resolved ? p.getResolved() : p.getSource();
        out.print(text);
        if (!text.endsWith("\n")) {
          out.println();
        }
        out.printf("# %s on %s: %s%n", p.getName(), p.getArch(), summary(p));
        warnings(spec, p);
        out.flush();
        return 0;
      });
    }
  }

  @Command(name = "compile", mixinStandardHelpOptions = true,
      description = "Compile a profile to the raw struct sock_filter bytes bwrap --seccomp FD reads.")
  static final class Compile implements Callable<Integer> {
    @Mixin
    Common common;
    @Spec
    CommandLine.Model.CommandSpec spec;
    @Parameters(paramLabel = "NAME|FILE", description = "A profile name, or a YAML file (it may extend a loaded profile).")
    String profile;
    @Option(names = {"-o", "--output"}, paramLabel = "OUT.bpf", description = "Write the filter here.")
    Path output;
    @Option(names = "--arch", paramLabel = "ARCH", description = "x86_64 or aarch64 (default: this host's).")
    String arch;
    @Option(names = "--disasm", description = "Print a readable listing of the filter.")
    boolean disasm;

    @Override
    public Integer call() throws Exception {
      CompileProfileRequest.Builder request = request(profile, arch).setDisassembly(disasm);
      return withPolicy(common, spec, node -> {
        CompiledProfile p = compile(node, request.build());
        PrintWriter out = spec.commandLine().getOut();
        if (disasm) {
          out.print(p.getDisassembly());
        }
        if (output != null) {
          Files.write(output, p.getSeccompBpf().toByteArray());
        }
        warnings(spec, p);
        spec.commandLine().getErr().printf("%s (%s): %s%s%n", p.getName(), p.getArch(), summary(p),
            output == null ? "" : "; wrote " + output);
        out.flush();
        return 0;
      });
    }
  }

  private static String summary(CompiledProfile p) {
    return p.getInstructionCount() + " instructions, worst path " + p.getWorstPathLength() + ", filter sha256 "
        + p.getFilterSha256().substring(0, 16) + "…, profile digest " + p.getDigest().substring(0, 16) + "…"
        + (p.getExtends().isEmpty() ? "" : ", extends " + p.getExtends());
  }

  private static void warnings(CommandLine.Model.CommandSpec spec, CompiledProfile p) {
    p.getWarningsList().forEach(w -> spec.commandLine().getErr().println("phantom: warning: " + w));
  }

  /** A name, or a file when the argument names an existing file or looks like one. */
  private static CompileProfileRequest.Builder request(String profile, String arch) throws Exception {
    CompileProfileRequest.Builder b = CompileProfileRequest.newBuilder()
        .setArch(arch == null || arch.isBlank() ? HostArch.current() : arch);
    Path file = Path.of(profile);
    if (Files.isRegularFile(file) || profile.endsWith(".yaml") || profile.endsWith(".yml") || profile.contains("/")) {
      if (!Files.isRegularFile(file)) {
        throw new BadProfile(profile + ": no such file");
      }
      b.setYaml(Files.readString(file, StandardCharsets.UTF_8)).setOrigin(profile);
    } else {
      b.setProfile(profile);
    }
    return b;
  }

  private static CompiledProfile compile(PhantomNode node, CompileProfileRequest request) {
    return await(BusRpc.request(node.mesh().vertx().eventBus(), Addresses.POLICY_COMPILE, request,
        CompiledProfile.parser(), TIMEOUT_MS));
  }

  /** A problem with the profile the user gave, not with phantom. */
  private static final class BadProfile extends RuntimeException {
    BadProfile(String message) {
      super(message, null, false, false);
    }
  }

  private interface WithNode {
    int run(PhantomNode node) throws Exception;
  }

  /** Starts a node with only the policy role, runs {@code body}, stops the node; bad profiles exit 2. */
  private static int withPolicy(Common common, CommandLine.Model.CommandSpec spec, WithNode body) {
    Logs.configure(Level.WARNING);
    JsonObject config = new JsonObject();
    if (!common.profileDirs.isEmpty()) {
      JsonArray dirs = new JsonArray();
      common.profileDirs.forEach(d -> dirs.add(d.toString()));
      config.put("policy", new JsonObject().put("profileDirs", dirs));
    }
    PhantomNode node;
    try {
      node = await(PhantomNode.start(MeshOptions.embedded(), List.of("policy"), config));
    } catch (RuntimeException e) {
      // a profile of --profile-dir that does not load fails the policy role's start
      String message = CliErrors.describe(e);
      if (message.contains("policy failed to start")) {
        for (String line : message.replaceFirst("^.*?policy failed to start: ", "").split("\n")) {
          if (!line.isBlank() && !line.matches("\\d+ profile problems:")) {
            spec.commandLine().getErr().println("phantom: " + line.strip());
          }
        }
        return EXIT_BAD_PROFILE;
      }
      throw e;
    }
    try {
      return body.run(node);
    } catch (BadProfile e) {
      spec.commandLine().getErr().println("phantom: " + e.getMessage());
      return EXIT_BAD_PROFILE;
    } catch (CompletionException | PhantomException e) {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof PhantomException pe
          && (pe.status() == GrpcStatus.INVALID_ARGUMENT || pe.status() == GrpcStatus.NOT_FOUND)) {
        for (String line : pe.getMessage().split("\n")) {
          spec.commandLine().getErr().println("phantom: " + line);
        }
        return EXIT_BAD_PROFILE;
      }
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(CliErrors.describe(e), e);
    } finally {
      await(node.close());
    }
  }

  private static <T> T await(Future<T> future) {
    return future.toCompletionStage().toCompletableFuture().join();
  }
}
