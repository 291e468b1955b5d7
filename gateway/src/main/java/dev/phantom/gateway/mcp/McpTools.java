package dev.phantom.gateway.mcp;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.ExecStart;
import dev.phantom.api.v1.ListFilesRequest;
import dev.phantom.api.v1.ReadFileRequest;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.WorkspaceFile;
import dev.phantom.api.v1.WriteFilesRequest;
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
  static final String CREATE_SANDBOX = "create_sandbox";
  static final String EXECUTE_COMMAND = "execute_command";
  static final String WRITE_FILE = "write_file";
  static final String READ_FILE = "read_file";
  static final String LIST_FILES = "list_files";
  static final String DESTROY_SANDBOX = "destroy_sandbox";
  static final String SNAPSHOT_SANDBOX = "snapshot_sandbox";
  static final String DEFAULT_PROFILE = "minimal";

  private final SandboxOperations operations;

  McpTools(SandboxOperations operations) {
    this.operations = operations;
  }

  List<String> names() {
    return List.of(RUN_CODE, RUN_COMMAND, LIST_PROFILES, CREATE_SANDBOX, EXECUTE_COMMAND, WRITE_FILE, READ_FILE,
        LIST_FILES, DESTROY_SANDBOX, SNAPSHOT_SANDBOX);
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
    JsonObject createSandbox = tool(CREATE_SANDBOX, "Create a sandbox",
        "Creates a sandbox that persists between calls (no network): files written and processes started in it "
            + "stay until destroy_sandbox, or until it is left idle for ttl_seconds (default 10 minutes; at most "
            + "1 hour after creation in any case). Returns its sandbox_id for execute_command, write_file, "
            + "read_file, list_files and destroy_sandbox. Destroy it when done.",
        object(new JsonObject()
            .put("profile", string("Sandbox profile (see list_profiles); default " + DEFAULT_PROFILE
                + ". python-dev has Python."))
            .put("ttl_seconds", new JsonObject().put("type", "number").put("exclusiveMinimum", 0)
                .put("description", "Destroyed after this many seconds without a call naming it; default 600."))
            .put("from_snapshot", string("A snapshot_id from snapshot_sandbox: the new sandbox's /workspace starts "
                + "as that snapshot; its changes are its own."))),
        false, false);
    JsonObject executeCommand = tool(EXECUTE_COMMAND, "Execute a command",
        "Runs a shell command line (sh -c) and returns its exit code, stdout and stderr. With sandbox_id it runs "
            + "in that sandbox, from /workspace: files and background processes (e.g. 'server &') persist between "
            + "calls. Without sandbox_id it runs in a fresh sandbox that is gone afterwards.",
        object(new JsonObject()
                .put("command", string("A shell command line, run as [\"sh\", \"-c\", command]."))
                .put("sandbox_id", string("A sandbox from create_sandbox; omit for a one-off sandbox."))
                .put("timeout_seconds", timeoutSchema()),
            "command"),
        false, false);
    JsonObject writeFile = tool(WRITE_FILE, "Write a file",
        "Writes a text file into a sandbox (creating its directories, replacing an existing file).",
        object(new JsonObject()
                .put("sandbox_id", string("A sandbox from create_sandbox."))
                .put("path", string("Path relative to /workspace (or absolute within it)."))
                .put("content", string("The file's text (UTF-8).")),
            "sandbox_id", "path", "content"),
        false, false);
    JsonObject readFile = tool(READ_FILE, "Read a file",
        "Reads a text file from a sandbox.",
        object(new JsonObject()
                .put("sandbox_id", string("A sandbox from create_sandbox."))
                .put("path", string("Path relative to /workspace (or absolute within it).")),
            "sandbox_id", "path"),
        true, false);
    JsonObject listFiles = tool(LIST_FILES, "List files",
        "Lists a directory of a sandbox: each entry's path, type and size.",
        object(new JsonObject()
                .put("sandbox_id", string("A sandbox from create_sandbox."))
                .put("path", string("Directory relative to /workspace; default /workspace itself.")),
            "sandbox_id"),
        true, false);
    JsonObject destroySandbox = tool(DESTROY_SANDBOX, "Destroy a sandbox",
        "Destroys a sandbox: kills its processes and deletes its files. Its sandbox_id is invalid afterwards.",
        object(new JsonObject().put("sandbox_id", string("A sandbox from create_sandbox.")), "sandbox_id"),
        false, true);
    JsonObject snapshotSandbox = tool(SNAPSHOT_SANDBOX, "Snapshot a sandbox's workspace",
        "Saves the sandbox's /workspace (its processes paused meanwhile) and returns a snapshot_id. Pass it as "
            + "from_snapshot to create_sandbox to start any number of sandboxes from that state, e.g. to try "
            + "several approaches in parallel from one prepared workspace.",
        object(new JsonObject().put("sandbox_id", string("A sandbox from create_sandbox.")), "sandbox_id"),
        false, false);
    if (structured) {
      snapshotSandbox.put("outputSchema", ToolResults.SNAPSHOT_OUTPUT_SCHEMA.copy());
      runCode.put("outputSchema", ToolResults.RUN_OUTPUT_SCHEMA.copy());
      runCommand.put("outputSchema", ToolResults.RUN_OUTPUT_SCHEMA.copy());
      listProfiles.put("outputSchema", ToolResults.PROFILES_OUTPUT_SCHEMA.copy());
      createSandbox.put("outputSchema", ToolResults.SANDBOX_OUTPUT_SCHEMA.copy());
      executeCommand.put("outputSchema", ToolResults.RUN_OUTPUT_SCHEMA.copy());
      writeFile.put("outputSchema", ToolResults.WRITE_OUTPUT_SCHEMA.copy());
      readFile.put("outputSchema", ToolResults.READ_OUTPUT_SCHEMA.copy());
      listFiles.put("outputSchema", ToolResults.LIST_OUTPUT_SCHEMA.copy());
      destroySandbox.put("outputSchema", ToolResults.DESTROY_OUTPUT_SCHEMA.copy());
    }
    return new JsonArray().add(runCode).add(runCommand).add(listProfiles).add(createSandbox).add(executeCommand)
        .add(writeFile).add(readFile).add(listFiles).add(destroySandbox).add(snapshotSandbox);
  }

  /**
   * Calls a known tool. Arguments that do not fit its schema fail with {@link InvalidToolArguments}
   * (a JSON-RPC error); failures of the run itself come back as results with isError set.
   */
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
        case CREATE_SANDBOX -> {
          CreateSandboxRequest request = createSandboxRequest(arguments);
          yield Future.<Void>succeededFuture().compose(v -> operations.createSandbox(request))
              .map(sandbox -> ToolResults.sandbox(sandbox, structured));
        }
        case EXECUTE_COMMAND -> {
          Object request = executeRequest(arguments);
          yield Future.<Void>succeededFuture()
              .compose(v -> request instanceof ExecStart start ? operations.exec(start) : operations.run((RunRequest) request))
              .map(run -> ToolResults.run(run, structured));
        }
        case WRITE_FILE -> {
          WriteFilesRequest request = writeFileRequest(arguments);
          WorkspaceFile file = request.getFiles(0);
          yield Future.<Void>succeededFuture().compose(v -> operations.writeFiles(request))
              .map(done -> ToolResults.written(file.getPath(), file.getContent().size(), structured));
        }
        case READ_FILE -> {
          ReadFileRequest request = readFileRequest(arguments);
          yield Future.<Void>succeededFuture().compose(v -> operations.readFile(request))
              .map(content -> ToolResults.file(request.getPath(), content, structured));
        }
        case LIST_FILES -> {
          ListFilesRequest request = listFilesRequest(arguments);
          yield Future.<Void>succeededFuture().compose(v -> operations.listFiles(request))
              .map(files -> ToolResults.files(request.getPath(), files, structured));
        }
        case DESTROY_SANDBOX -> {
          String sandboxId = new Arguments(DESTROY_SANDBOX, arguments, List.of("sandbox_id")).requiredString("sandbox_id");
          yield Future.<Void>succeededFuture().compose(v -> operations.destroySandbox(sandboxId))
              .map(done -> ToolResults.destroyed(sandboxId, structured));
        }
        case SNAPSHOT_SANDBOX -> {
          String sandboxId = new Arguments(SNAPSHOT_SANDBOX, arguments, List.of("sandbox_id")).requiredString("sandbox_id");
          yield Future.<Void>succeededFuture().compose(v -> operations.snapshotSandbox(sandboxId))
              .map(snapshot -> ToolResults.snapshot(sandboxId, snapshot, structured));
        }
        default -> throw new IllegalArgumentException("unknown tool " + name);
      };
    } catch (PhantomException e) {
      // Thrown only while reading the arguments: the operations themselves run inside the futures.
      return Future.failedFuture(new InvalidToolArguments(e.getMessage()));
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

  static CreateSandboxRequest createSandboxRequest(JsonObject arguments) {
    Arguments args = new Arguments(CREATE_SANDBOX, arguments, List.of("profile", "ttl_seconds", "from_snapshot"));
    CreateSandboxRequest.Builder request = CreateSandboxRequest.newBuilder()
        .setProfile(args.optionalString("profile", DEFAULT_PROFILE))
        .setFromSnapshot(args.optionalString("from_snapshot", ""));
    args.seconds("ttl_seconds").ifPresent(request::setIdleTimeout);
    return request.build();
  }

  /** An {@link ExecStart} in the sandbox named, or a one-off {@link RunRequest} when none is. */
  static Object executeRequest(JsonObject arguments) {
    Arguments args = new Arguments(EXECUTE_COMMAND, arguments, List.of("command", "sandbox_id", "timeout_seconds"));
    String command = args.requiredString("command");
    String sandboxId = args.optionalString("sandbox_id", null);
    Optional<Duration> timeout = args.timeout();
    List<String> argv = List.of("sh", "-c", command);
    if (sandboxId == null) {
      RunRequest.Builder request = RunRequest.newBuilder().setProfile(DEFAULT_PROFILE).addAllArgv(argv);
      timeout.ifPresent(request::setTimeout);
      return request.build();
    }
    ExecStart.Builder start = ExecStart.newBuilder().setSandboxId(sandboxId).addAllArgv(argv);
    timeout.ifPresent(start::setTimeout);
    return start.build();
  }

  static WriteFilesRequest writeFileRequest(JsonObject arguments) {
    Arguments args = new Arguments(WRITE_FILE, arguments, List.of("sandbox_id", "path", "content"));
    return WriteFilesRequest.newBuilder().setSandboxId(args.requiredString("sandbox_id"))
        .addFiles(WorkspaceFile.newBuilder().setPath(args.requiredString("path"))
            .setContent(ByteString.copyFromUtf8(args.requiredString("content"))))
        .build();
  }

  static ReadFileRequest readFileRequest(JsonObject arguments) {
    Arguments args = new Arguments(READ_FILE, arguments, List.of("sandbox_id", "path"));
    return ReadFileRequest.newBuilder().setSandboxId(args.requiredString("sandbox_id"))
        .setPath(args.requiredString("path")).build();
  }

  static ListFilesRequest listFilesRequest(JsonObject arguments) {
    Arguments args = new Arguments(LIST_FILES, arguments, List.of("sandbox_id", "path"));
    return ListFilesRequest.newBuilder().setSandboxId(args.requiredString("sandbox_id"))
        .setPath(args.optionalString("path", "")).build();
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
      return seconds("timeout_seconds");
    }

    Optional<Duration> seconds(String key) {
      Object value = json.getValue(key);
      if (value == null) {
        return Optional.empty();
      }
      if (!(value instanceof Number number) || !(number.doubleValue() > 0) || number.doubleValue() > 86_400) {
        throw PhantomException.invalidArgument(tool + ": \"" + key + "\" must be a number of seconds above 0");
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
    return tool(name, title, description, inputSchema, readOnly, false);
  }

  private static JsonObject tool(String name, String title, String description, JsonObject inputSchema,
      boolean readOnly, boolean destructive) {
    return new JsonObject().put("name", name).put("title", title).put("description", description)
        .put("inputSchema", inputSchema)
        .put("annotations", new JsonObject().put("title", title).put("readOnlyHint", readOnly)
            .put("destructiveHint", destructive).put("idempotentHint", readOnly).put("openWorldHint", false));
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
