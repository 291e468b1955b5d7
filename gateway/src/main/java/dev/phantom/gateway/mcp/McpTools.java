package dev.phantom.gateway.mcp;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.WorkspaceFile;
import dev.phantom.gateway.SandboxOperations;
import dev.phantom.gateway.core.Languages;
import dev.phantom.support.PhantomException;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The tools this server offers: their definitions (with JSON Schemas) and their calls, turned into
 * {@link SandboxOperations} requests. Bad arguments are tool errors the model can read and correct,
 * like every domain error; only an unknown tool is a protocol error (the caller checks that).
 */
final class McpTools {

  static final String RUN_CODE = "run_code";
  static final String RUN_COMMAND = "run_command";
  static final String LIST_PROFILES = "list_profiles";
  static final String DEFAULT_PROFILE = "minimal";

  private final SandboxOperations operations;

  McpTools(SandboxOperations operations) {
    this.operations = operations;
  }

  List<String> names() {
    return List.of(RUN_CODE, RUN_COMMAND, LIST_PROFILES);
  }

  boolean has(String name) {
    return names().contains(name);
  }

  /** The tools/list entries; output schemas only for clients that understand structured content. */
  JsonArray definitions(boolean structured) {
    JsonObject runCode = tool(RUN_CODE, "Run code",
        "Runs a program given as source code in a fresh sandbox (no network; nothing persists between calls) "
            + "and returns its exit code, stdout and stderr. The program is saved as /workspace/main.<ext> "
            + "and run from /workspace; extra files can be placed beside it.",
        object(new JsonObject()
                .put("language", new JsonObject().put("type", "string")
                    .put("enum", new JsonArray(Languages.all().stream().map(Languages.Language::name).toList()))
                    .put("description", "python (python3), node or sh"))
                .put("code", string("The program's source code."))
                .put("stdin", string("Text fed to the program's standard input."))
                .put("timeout_seconds", timeoutSchema())
                .put("files", filesSchema()),
            "language", "code"),
        false);
    JsonObject runCommand = tool(RUN_COMMAND, "Run a command",
        "Runs one command in a fresh sandbox (no network; nothing persists between calls) and returns its "
            + "exit code, stdout and stderr. Give either argv (no shell) or command (run by sh -c).",
        object(new JsonObject()
                .put("profile", string("Sandbox profile (see list_profiles); default " + DEFAULT_PROFILE + "."))
                .put("argv", new JsonObject().put("type", "array").put("minItems", 1)
                    .put("items", new JsonObject().put("type", "string"))
                    .put("description", "The command and its arguments; argv[0] is looked up on PATH."))
                .put("command", string("A shell command line, run as [\"sh\", \"-c\", command]."))
                .put("stdin", string("Text fed to the command's standard input."))
                .put("timeout_seconds", timeoutSchema())
                .put("files", filesSchema())),
        false);
    JsonObject listProfiles = tool(LIST_PROFILES, "List sandbox profiles",
        "Lists the sandbox profiles (what each offers, its time and resource limits) and the languages "
            + "run_code knows.",
        object(new JsonObject()), true);
    if (structured) {
      runCode.put("outputSchema", ToolResults.RUN_OUTPUT_SCHEMA.copy());
      runCommand.put("outputSchema", ToolResults.RUN_OUTPUT_SCHEMA.copy());
      listProfiles.put("outputSchema", ToolResults.PROFILES_OUTPUT_SCHEMA.copy());
    }
    return new JsonArray().add(runCode).add(runCommand).add(listProfiles);
  }

  /** Calls a known tool; domain failures come back as results with isError set. */
  Future<JsonObject> call(String name, JsonObject arguments, boolean structured) {
    Future<JsonObject> result;
    try {
      result = switch (name) {
        case RUN_CODE -> {
          RunCodeRequest request = runCodeRequest(arguments);
          yield Future.<Void>succeededFuture().compose(v -> operations.runCode(request))
              .map(run -> ToolResults.run(run, structured));
        }
        case RUN_COMMAND -> {
          RunRequest request = runRequest(arguments);
          yield Future.<Void>succeededFuture().compose(v -> operations.run(request))
              .map(run -> ToolResults.run(run, structured));
        }
        case LIST_PROFILES -> Future.<Void>succeededFuture().compose(v -> operations.listProfiles())
            .map(profiles -> ToolResults.profiles(profiles, structured));
        default -> throw new IllegalArgumentException("unknown tool " + name);
      };
    } catch (PhantomException e) {
      return Future.succeededFuture(ToolResults.error(e));
    }
    return result.recover(failure -> Future.succeededFuture(ToolResults.error(failure)));
  }

  static RunCodeRequest runCodeRequest(JsonObject arguments) {
    Arguments args = new Arguments(RUN_CODE, arguments, List.of("language", "code", "stdin", "timeout_seconds", "files"));
    RunCodeRequest.Builder request = RunCodeRequest.newBuilder()
        .setLanguage(args.requiredString("language"))
        .setSource(args.requiredString("code"))
        .setStdin(ByteString.copyFromUtf8(args.optionalString("stdin", "")))
        .addAllFiles(args.files());
    args.timeout().ifPresent(request::setTimeout);
    return request.build();
  }

  static RunRequest runRequest(JsonObject arguments) {
    Arguments args = new Arguments(RUN_COMMAND, arguments,
        List.of("profile", "argv", "command", "stdin", "timeout_seconds", "files"));
    List<String> argv = args.optionalStrings("argv");
    String command = args.optionalString("command", null);
    if ((argv == null) == (command == null)) {
      throw PhantomException.invalidArgument(RUN_COMMAND + ": give exactly one of \"argv\" (an array of strings) "
          + "or \"command\" (a shell command line)");
    }
    if (argv != null && argv.isEmpty()) {
      throw PhantomException.invalidArgument(RUN_COMMAND + ": \"argv\" must not be empty");
    }
    RunRequest.Builder request = RunRequest.newBuilder()
        .setProfile(args.optionalString("profile", DEFAULT_PROFILE))
        .addAllArgv(argv != null ? argv : List.of("sh", "-c", command))
        .setStdin(ByteString.copyFromUtf8(args.optionalString("stdin", "")))
        .addAllFiles(args.files());
    args.timeout().ifPresent(request::setTimeout);
    return request.build();
  }

  /** Reads a tool's arguments, each problem an INVALID_ARGUMENT that names the tool and the field. */
  private record Arguments(String tool, JsonObject json, List<String> known) {

    Arguments {
      for (String key : json.fieldNames()) {
        if (!known.contains(key)) {
          throw PhantomException.invalidArgument(tool + ": unknown argument \"" + key + "\"; known: "
              + String.join(", ", known));
        }
      }
    }

    String requiredString(String key) {
      String value = optionalString(key, null);
      if (value == null) {
        throw PhantomException.invalidArgument(tool + ": \"" + key + "\" (a string) is required");
      }
      return value;
    }

    String optionalString(String key, String fallback) {
      Object value = json.getValue(key);
      if (value == null) {
        return fallback;
      }
      if (!(value instanceof String text)) {
        throw PhantomException.invalidArgument(tool + ": \"" + key + "\" must be a string");
      }
      return text;
    }

    List<String> optionalStrings(String key) {
      Object value = json.getValue(key);
      if (value == null) {
        return null;
      }
      if (!(value instanceof JsonArray array) || !array.stream().allMatch(String.class::isInstance)) {
        throw PhantomException.invalidArgument(tool + ": \"" + key + "\" must be an array of strings");
      }
      return array.stream().map(String.class::cast).toList();
    }

    Optional<Duration> timeout() {
      Object value = json.getValue("timeout_seconds");
      if (value == null) {
        return Optional.empty();
      }
      if (!(value instanceof Number number) || !(number.doubleValue() > 0) || number.doubleValue() > 86_400) {
        throw PhantomException.invalidArgument(tool + ": \"timeout_seconds\" must be a number of seconds above 0");
      }
      long nanos = Math.round(number.doubleValue() * 1e9);
      return Optional.of(Duration.newBuilder()
          .setSeconds(nanos / 1_000_000_000).setNanos((int) (nanos % 1_000_000_000)).build());
    }

    List<WorkspaceFile> files() {
      Object value = json.getValue("files");
      if (value == null) {
        return List.of();
      }
      String shape = tool + ": \"files\" must be an array of {\"path\": string, \"content\": string}";
      if (!(value instanceof JsonArray array)) {
        throw PhantomException.invalidArgument(shape);
      }
      List<WorkspaceFile> files = new ArrayList<>();
      for (Object entry : array) {
        if (!(entry instanceof JsonObject file) || !(file.getValue("path") instanceof String path)
            || !(file.getValue("content") instanceof String content)) {
          throw PhantomException.invalidArgument(shape);
        }
        files.add(WorkspaceFile.newBuilder().setPath(path).setContent(ByteString.copyFromUtf8(content)).build());
      }
      return files;
    }
  }

  private static JsonObject tool(String name, String title, String description, JsonObject inputSchema,
      boolean readOnly) {
    return new JsonObject().put("name", name).put("title", title).put("description", description)
        .put("inputSchema", inputSchema)
        .put("annotations", new JsonObject().put("title", title).put("readOnlyHint", readOnly)
            .put("destructiveHint", false).put("idempotentHint", readOnly).put("openWorldHint", false));
  }

  private static JsonObject object(JsonObject properties, String... required) {
    JsonObject schema = new JsonObject().put("type", "object").put("properties", properties)
        .put("additionalProperties", false);
    if (required.length > 0) {
      schema.put("required", new JsonArray(List.of(required)));
    }
    return schema;
  }

  private static JsonObject string(String description) {
    return new JsonObject().put("type", "string").put("description", description);
  }

  private static JsonObject timeoutSchema() {
    return new JsonObject().put("type", "number").put("exclusiveMinimum", 0)
        .put("description", "Wall-clock limit in seconds; default and maximum come from the profile.");
  }

  private static JsonObject filesSchema() {
    return new JsonObject().put("type", "array")
        .put("description", "Text files placed in /workspace before the run (paths relative to /workspace).")
        .put("items", object(new JsonObject().put("path", string("Path under /workspace."))
            .put("content", string("The file's text (UTF-8).")), "path", "content"));
  }
}
