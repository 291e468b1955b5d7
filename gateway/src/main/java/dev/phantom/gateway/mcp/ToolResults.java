package dev.phantom.gateway.mcp;

import com.google.protobuf.ByteString;
import dev.phantom.api.v1.FileInfo;
import dev.phantom.api.v1.FileType;
import dev.phantom.api.v1.Language;
import dev.phantom.api.v1.ListFilesResponse;
import dev.phantom.api.v1.ListProfilesResponse;
import dev.phantom.api.v1.ProfileInfo;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.support.PhantomException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionException;

/**
 * Tool results (MCP {@code CallToolResult}) written for a model to read: a text summary, and the
 * same facts as structured content for clients that validate against the output schema.
 */
final class ToolResults {

  static final JsonObject RUN_OUTPUT_SCHEMA = new JsonObject()
      .put("type", "object")
      .put("properties", new JsonObject()
          .put("status", new JsonObject().put("type", "string")
              .put("enum", strings("ok", "timeout", "killed", "oom_killed", "failed_to_start"))
              .put("description", "ok when the command ended by itself, whatever its exit code"))
          .put("exit_code", new JsonObject().put("type", strings("integer", "null")))
          .put("signal", new JsonObject().put("type", strings("integer", "null"))
              .put("description", "the signal that ended the command, if one did"))
          .put("stdout", new JsonObject().put("type", "string"))
          .put("stderr", new JsonObject().put("type", "string"))
          .put("truncated", new JsonObject().put("type", "boolean")
              .put("description", "true when the output was longer than the profile keeps"))
          .put("wall_ms", new JsonObject().put("type", "integer"))
          .put("warm", new JsonObject().put("type", "boolean")
              .put("description", "true when a sandbox made ahead of time ran the command (faster start, same isolation)"))
          .put("message", new JsonObject().put("type", "string")
              .put("description", "why the sandbox failed to start, timed out or was killed")))
      .put("required", strings("status", "exit_code", "stdout", "stderr", "truncated", "wall_ms"));

  static final JsonObject PROFILES_OUTPUT_SCHEMA = new JsonObject()
      .put("type", "object")
      .put("properties", new JsonObject()
          .put("profiles", new JsonObject().put("type", "array").put("items", new JsonObject()
              .put("type", "object")
              .put("properties", new JsonObject()
                  .put("name", new JsonObject().put("type", "string"))
                  .put("description", new JsonObject().put("type", "string"))
                  .put("default_timeout_seconds", new JsonObject().put("type", "number"))
                  .put("max_timeout_seconds", new JsonObject().put("type", "number"))
                  .put("network", new JsonObject().put("type", "boolean")))
              .put("required", strings("name"))))
          .put("languages", new JsonObject().put("type", "array").put("items", new JsonObject()
              .put("type", "object")
              .put("properties", new JsonObject()
                  .put("name", new JsonObject().put("type", "string"))
                  .put("profile", new JsonObject().put("type", "string"))
                  .put("command", new JsonObject().put("type", "array")
                      .put("items", new JsonObject().put("type", "string"))))
              .put("required", strings("name", "profile")))))
      .put("required", strings("profiles", "languages"));

  static final JsonObject SANDBOX_OUTPUT_SCHEMA = new JsonObject()
      .put("type", "object")
      .put("properties", new JsonObject()
          .put("sandbox_id", new JsonObject().put("type", "string"))
          .put("profile", new JsonObject().put("type", "string"))
          .put("idle_timeout_seconds", new JsonObject().put("type", "number")
              .put("description", "destroyed after this long without a call naming it"))
          .put("max_lifetime_seconds", new JsonObject().put("type", "number")
              .put("description", "destroyed this long after creation in any case")))
      .put("required", strings("sandbox_id", "profile"));

  static final JsonObject WRITE_OUTPUT_SCHEMA = new JsonObject()
      .put("type", "object")
      .put("properties", new JsonObject()
          .put("path", new JsonObject().put("type", "string"))
          .put("bytes", new JsonObject().put("type", "integer")))
      .put("required", strings("path", "bytes"));

  static final JsonObject READ_OUTPUT_SCHEMA = new JsonObject()
      .put("type", "object")
      .put("properties", new JsonObject()
          .put("path", new JsonObject().put("type", "string"))
          .put("content", new JsonObject().put("type", "string"))
          .put("bytes", new JsonObject().put("type", "integer"))
          .put("truncated", new JsonObject().put("type", "boolean")
              .put("description", "true when the middle of a long file was left out of content")))
      .put("required", strings("path", "content", "bytes", "truncated"));

  static final JsonObject LIST_OUTPUT_SCHEMA = new JsonObject()
      .put("type", "object")
      .put("properties", new JsonObject()
          .put("files", new JsonObject().put("type", "array").put("items", new JsonObject()
              .put("type", "object")
              .put("properties", new JsonObject()
                  .put("path", new JsonObject().put("type", "string"))
                  .put("type", new JsonObject().put("type", "string")
                      .put("enum", strings("file", "directory", "symlink", "other")))
                  .put("size", new JsonObject().put("type", "integer")))
              .put("required", strings("path", "type", "size")))))
      .put("required", strings("files"));

  static final JsonObject DESTROY_OUTPUT_SCHEMA = new JsonObject()
      .put("type", "object")
      .put("properties", new JsonObject()
          .put("sandbox_id", new JsonObject().put("type", "string"))
          .put("destroyed", new JsonObject().put("type", "boolean")))
      .put("required", strings("sandbox_id", "destroyed"));

  static final JsonObject SNAPSHOT_OUTPUT_SCHEMA = new JsonObject()
      .put("type", "object")
      .put("properties", new JsonObject()
          .put("sandbox_id", new JsonObject().put("type", "string"))
          .put("snapshot_id", new JsonObject().put("type", "string"))
          .put("files", new JsonObject().put("type", "integer"))
          .put("logical_bytes", new JsonObject().put("type", "integer"))
          .put("uploaded_bytes", new JsonObject().put("type", "integer")
              .put("description", "bytes new to the store; the rest was already there"))
          .put("skipped", new JsonObject().put("type", "array").put("items", new JsonObject().put("type", "string"))))
      .put("required", strings("sandbox_id", "snapshot_id"));

  /** The most of each output stream a result carries, in characters. */
  static final int MAX_STREAM_CHARS = 64 * 1024;

  private ToolResults() {}

  /**
   * A finished run. A non-zero exit code is a normal result for the model to read; a sandbox that
   * could not start, timed out or was killed is a tool error, with the reason.
   */
  static JsonObject run(RunResult run, boolean structured) {
    String status = status(run.getStatus());
    boolean failed = run.getStatus() != RunStatus.RUN_STATUS_OK;
    Output stdout = Output.of(run.getStdout(), run.getStdoutTruncated(), run.getStdoutBytes());
    Output stderr = Output.of(run.getStderr(), run.getStderrTruncated(), run.getStderrBytes());
    StringBuilder text = new StringBuilder(headline(run)).append('\n');
    stdout.appendTo(text, "stdout");
    stderr.appendTo(text, "stderr");
    JsonObject result = new JsonObject()
        .put("content", new JsonArray().add(text(text.toString().stripTrailing())))
        .put("isError", failed);
    if (structured) {
      JsonObject content = new JsonObject()
          .put("status", status)
          .put("exit_code", run.hasExitCode() ? run.getExitCode() : null)
          .put("signal", run.hasSignal() ? run.getSignal() : null)
          .put("stdout", stdout.text())
          .put("stderr", stderr.text())
          .put("truncated", stdout.truncated() || stderr.truncated())
          .put("wall_ms", run.getTimings().getWallMicros() / 1000)
          .put("warm", run.getWarm());
      if (!run.getMessage().isBlank()) {
        content.put("message", run.getMessage());
      }
      result.put("structuredContent", content);
    }
    return result;
  }

  static JsonObject profiles(ListProfilesResponse response, boolean structured) {
    StringBuilder text = new StringBuilder("Profiles (run_command's \"profile\"):\n");
    JsonArray profiles = new JsonArray();
    for (ProfileInfo profile : response.getProfilesList()) {
      double defaultSeconds = seconds(profile.getDefaultTimeout());
      double maxSeconds = seconds(profile.getMaxTimeout());
      text.append("- ").append(profile.getName()).append(": ");
      if (!profile.getDescription().isBlank()) {
        text.append(profile.getDescription().strip()).append(' ');
      }
      text.append("Timeout ").append(format(defaultSeconds)).append("s by default, at most ")
          .append(format(maxSeconds)).append("s; network ").append(profile.getNetwork() ? "on" : "off").append(".\n");
      profiles.add(new JsonObject().put("name", profile.getName()).put("description", profile.getDescription())
          .put("default_timeout_seconds", defaultSeconds).put("max_timeout_seconds", maxSeconds)
          .put("network", profile.getNetwork()));
    }
    text.append("Languages (run_code's \"language\"):\n");
    JsonArray languages = new JsonArray();
    for (Language language : response.getLanguagesList()) {
      text.append("- ").append(language.getName()).append(": profile ").append(language.getProfile())
          .append(", run as '").append(String.join(" ", language.getCommandList())).append("'\n");
      languages.add(new JsonObject().put("name", language.getName()).put("profile", language.getProfile())
          .put("command", new JsonArray(language.getCommandList())));
    }
    JsonObject result = new JsonObject()
        .put("content", new JsonArray().add(text(text.toString().stripTrailing())))
        .put("isError", false);
    if (structured) {
      result.put("structuredContent", new JsonObject().put("profiles", profiles).put("languages", languages));
    }
    return result;
  }

  /** Rounded: the deadline is set a moment after the creation time, which truncated seconds turned into +1. */
  private static long secondsBetween(com.google.protobuf.Timestamp from, com.google.protobuf.Timestamp to) {
    long nanos = (to.getSeconds() - from.getSeconds()) * 1_000_000_000L + (to.getNanos() - from.getNanos());
    return Math.round(nanos / 1e9);
  }

  static JsonObject sandbox(Sandbox sandbox, boolean structured) {
    StringBuilder text = new StringBuilder("Created sandbox ").append(sandbox.getId())
        .append(" (profile ").append(sandbox.getProfile()).append(").");
    JsonObject content = new JsonObject().put("sandbox_id", sandbox.getId()).put("profile", sandbox.getProfile());
    if (sandbox.hasIdleDeadline() && sandbox.hasCreatedAt()) {
      long idle = secondsBetween(sandbox.getCreatedAt(), sandbox.getIdleDeadline());
      text.append(" It is destroyed after ").append(idle).append("s without a call naming it");
      content.put("idle_timeout_seconds", idle);
      if (sandbox.hasMaxDeadline()) {
        long max = secondsBetween(sandbox.getCreatedAt(), sandbox.getMaxDeadline());
        text.append(", and ").append(max).append("s after creation in any case");
        content.put("max_lifetime_seconds", max);
      }
      text.append('.');
    }
    text.append(" Pass sandbox_id \"").append(sandbox.getId())
        .append("\" to execute_command, write_file, read_file and list_files; destroy_sandbox when done.");
    return result(text.toString(), structured ? content : null);
  }

  static JsonObject written(String path, long bytes, boolean structured) {
    return result("Wrote " + bytes + " bytes to " + path + ".",
        structured ? new JsonObject().put("path", path).put("bytes", bytes) : null);
  }

  static JsonObject file(String path, ByteString data, boolean structured) {
    Output content = Output.of(data, false, data.size());
    StringBuilder text = new StringBuilder();
    content.appendTo(text, path);
    return result(text.toString().stripTrailing(), structured ? new JsonObject().put("path", path)
        .put("content", content.text()).put("bytes", data.size()).put("truncated", content.truncated()) : null);
  }

  static JsonObject files(String path, ListFilesResponse response, boolean structured) {
    StringBuilder text = new StringBuilder(path.isEmpty() ? "/workspace" : path).append(": ")
        .append(response.getFilesCount()).append(response.getFilesCount() == 1 ? " entry" : " entries");
    JsonArray files = new JsonArray();
    for (FileInfo file : response.getFilesList()) {
      String type = fileType(file.getType());
      text.append("\n").append(file.getPath()).append(type.equals("directory") ? "/" : "")
          .append(type.equals("file") ? "  " + file.getSize() + " bytes" : type.equals("directory") ? "" : "  (" + type + ")");
      files.add(new JsonObject().put("path", file.getPath()).put("type", type).put("size", file.getSize()));
    }
    return result(text.toString(), structured ? new JsonObject().put("files", files) : null);
  }

  static JsonObject destroyed(String sandboxId, boolean structured) {
    return result("Destroyed sandbox " + sandboxId + ".",
        structured ? new JsonObject().put("sandbox_id", sandboxId).put("destroyed", true) : null);
  }

  static JsonObject snapshot(String sandboxId, dev.phantom.api.v1.Snapshot snapshot, boolean structured) {
    StringBuilder text = new StringBuilder("Snapshot ").append(snapshot.getSnapshotId()).append(" of sandbox ")
        .append(sandboxId).append(": ").append(snapshot.getFiles()).append(" files, ")
        .append(snapshot.getLogicalBytes()).append(" bytes (").append(snapshot.getUploadedBytes())
        .append(" new). Pass it as from_snapshot to create_sandbox.");
    if (snapshot.getSkippedCount() > 0) {
      text.append(" Left out: ").append(String.join("; ", snapshot.getSkippedList())).append('.');
    }
    return result(text.toString(), structured ? new JsonObject().put("sandbox_id", sandboxId)
        .put("snapshot_id", snapshot.getSnapshotId()).put("files", snapshot.getFiles())
        .put("logical_bytes", snapshot.getLogicalBytes()).put("uploaded_bytes", snapshot.getUploadedBytes())
        .put("skipped", new JsonArray(snapshot.getSkippedList())) : null);
  }

  private static String fileType(FileType type) {
    return switch (type) {
      case FILE_TYPE_REGULAR -> "file";
      case FILE_TYPE_DIRECTORY -> "directory";
      case FILE_TYPE_SYMLINK -> "symlink";
      default -> "other";
    };
  }

  private static JsonObject result(String text, JsonObject structuredContent) {
    JsonObject result = new JsonObject().put("content", new JsonArray().add(text(text))).put("isError", false);
    if (structuredContent != null) {
      result.put("structuredContent", structuredContent);
    }
    return result;
  }

  /** A call that failed before or instead of a result: the model reads why and may correct its call. */
  static JsonObject error(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    String message;
    if (cause instanceof PhantomException phantom) {
      message = phantom.status().name() + ": " + phantom.getMessage();
    } else {
      message = "the sandbox service failed: " + (cause.getMessage() == null ? cause.toString() : cause.getMessage());
    }
    return new JsonObject().put("content", new JsonArray().add(text(message))).put("isError", true);
  }

  private static String headline(RunResult run) {
    String reason = run.getMessage().isBlank() ? "" : ": " + run.getMessage();
    return switch (run.getStatus()) {
      case RUN_STATUS_OK -> run.hasSignal() ? "killed by signal " + run.getSignal() : "exit code " + run.getExitCode();
      case RUN_STATUS_TIMEOUT -> "timed out, the sandbox was killed" + reason;
      case RUN_STATUS_OOM_KILLED -> "out of memory, the sandbox was killed" + reason;
      case RUN_STATUS_KILLED -> "the sandbox was killed" + reason;
      case RUN_STATUS_FAILED_TO_START -> "the sandbox failed to start" + reason;
      default -> "ended with status " + run.getStatus() + reason;
    };
  }

  /**
   * One output stream as the model sees it. Past {@value #MAX_STREAM_CHARS} characters the middle is
   * left out: a model's context is precious, and the end (where errors are) matters as much as the start.
   */
  private record Output(String text, boolean truncated, String note) {

    static Output of(ByteString data, boolean cutBySandbox, long written) {
      String text = data.toStringUtf8();
      String note = null;
      if (cutBySandbox) {
        note = written > data.size()
            ? "the command wrote " + written + " bytes; the first " + data.size() + " were kept"
            : "the command wrote more than the " + data.size() + " bytes kept";
      }
      if (text.length() > MAX_STREAM_CHARS) {
        int half = MAX_STREAM_CHARS / 2;
        int omitted = text.length() - 2 * half;
        text = text.substring(0, half) + "\n[... " + omitted + " characters left out ...]\n"
            + text.substring(text.length() - half);
        note = (note == null ? "" : note + "; ") + omitted + " characters in the middle left out";
      }
      return new Output(text, note != null, note);
    }

    void appendTo(StringBuilder out, String name) {
      out.append("--- ").append(name).append(" ---\n");
      if (text.isEmpty()) {
        out.append("(empty)\n");
      } else {
        out.append(text);
        if (!text.endsWith("\n")) {
          out.append('\n');
        }
      }
      if (note != null) {
        out.append("[").append(name).append(" truncated: ").append(note).append("]\n");
      }
    }
  }

  private static String status(RunStatus status) {
    return switch (status) {
      case RUN_STATUS_OK, RUN_STATUS_TIMEOUT, RUN_STATUS_KILLED, RUN_STATUS_OOM_KILLED, RUN_STATUS_FAILED_TO_START ->
          status.name().substring("RUN_STATUS_".length()).toLowerCase(Locale.ROOT);
      default -> "failed_to_start";
    };
  }

  private static JsonArray strings(String... values) {
    return new JsonArray(List.of(values));
  }

  private static JsonObject text(String text) {
    return new JsonObject().put("type", "text").put("text", text);
  }

  private static double seconds(com.google.protobuf.Duration duration) {
    return duration.getSeconds() + duration.getNanos() / 1e9;
  }

  private static String format(double seconds) {
    return seconds == Math.rint(seconds) ? Long.toString((long) seconds) : Double.toString(seconds);
  }
}
