package dev.phantom.zygote.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The first process of a warm slot: it waits on its standard input for one job line, then becomes the job.
 * Because bubblewrap started it, it already runs in the slot's namespaces, under its seccomp filter, as its
 * unprivileged user; the job inherits all of that with {@code exec} (or, for Python code, runs in the
 * interpreter the agent already started). The job's own standard input follows the job line on the same
 * pipe: agents read the line byte by byte, so not one byte of it is consumed early.
 */
public enum SlotAgent {

  /** Any argv, through POSIX sh: the job line is shell words the agent evaluates. */
  SHELL {
    @Override
    public List<String> argv() {
      return List.of("/bin/sh", "-c", SHELL_AGENT, "phantom-slot");
    }

    @Override
    public byte[] encode(Job job) {
      StringBuilder line = new StringBuilder();
      if (hasNewline(job)) {
        // What shellQuote's "$nl" needs. Only then: the command substitution forks the shell (0.6 ms).
        line.append("nl=$(printf '\\n.'); nl=${nl%.}; ");
      }
      if (!job.cwd().isEmpty()) {
        line.append("cd -- ").append(shellQuote(job.cwd())).append(" || exit 125; ");
      }
      job.env().forEach((name, value) -> line.append("export ").append(shellQuote(name + "=" + value)).append("; "));
      line.append("r");
      for (String arg : job.argv()) {
        line.append(' ').append(shellQuote(arg));
      }
      return line.append('\n').toString().getBytes(StandardCharsets.UTF_8);
    }
  },

  /**
   * A Python interpreter that already started and imported the common standard-library modules: a job
   * that runs Python ({@code python3 FILE args} or {@code python3 -c CODE args}) runs in it at once; any
   * other argv is exec'd as by {@link #SHELL}. The job line is one JSON object.
   */
  PYTHON {
    @Override
    public List<String> argv() {
      return List.of("python3", "-c", PYTHON_BOOT);
    }

    /**
     * The JSON object's length in bytes, a newline, then the object: the agent reads the length byte by byte
     * and the object in one read, so the job's stdin that follows stays unread and the handover costs a few
     * system calls instead of one per byte.
     */
    @Override
    public byte[] encode(Job job) {
      byte[] json = jsonJob(job);
      byte[] length = (json.length + "\n").getBytes(StandardCharsets.US_ASCII);
      byte[] line = java.util.Arrays.copyOf(length, length.length + json.length);
      System.arraycopy(json, 0, line, length.length, json.length);
      return line;
    }
  },

  /**
   * A Node process that already started: {@code node FILE args} runs in it at once; any other argv runs as
   * its child (Node cannot exec), whose exit status becomes the run's. The job line is one JSON object.
   */
  NODE {
    @Override
    public List<String> argv() {
      return List.of("node", "-e", NODE_BOOT);
    }

    @Override
    public byte[] encode(Job job) {
      return jsonJob(job);
    }
  };

  /** {@code {"argv": [...], "env": {...}, "cwd": "..."}} and a newline. */
  static byte[] jsonJob(Job job) {
    StringBuilder line = new StringBuilder("{\"argv\":[");
    for (int i = 0; i < job.argv().size(); i++) {
      line.append(i == 0 ? "" : ",").append(jsonString(job.argv().get(i)));
    }
    line.append("],\"env\":{");
    boolean first = true;
    for (Map.Entry<String, String> e : job.env().entrySet()) {
      line.append(first ? "" : ",").append(jsonString(e.getKey())).append(':').append(jsonString(e.getValue()));
      first = false;
    }
    line.append("},\"cwd\":").append(jsonString(job.cwd()));
    if (!job.files().isEmpty()) {
      line.append(",\"files\":[");
      for (int i = 0; i < job.files().size(); i++) {
        InLineFile file = job.files().get(i);
        line.append(i == 0 ? "" : ",").append("{\"path\":").append(jsonString(file.path())).append(",\"mode\":")
            .append(file.mode()).append(",\"data\":\"")
            .append(java.util.Base64.getEncoder().encodeToString(file.content())).append("\"}");
      }
      line.append(']');
    }
    line.append("}\n");
    return line.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** What the agent prints, and exits 127 after, when the job's command cannot be executed. */
  public static final String EXEC_FAILED_PREFIX = "phantom-slot: ";

  /** Exit code of an agent whose job could not be executed. */
  public static final int EXEC_FAILED_CODE = 127;

  /** Largest job line (argv and env); the job's stdin is not counted. */
  public static final int MAX_JOB_BYTES = 256 * 1024;

  /**
   * One job for a slot.
   *
   * @param env set on top of the profile's environment, which the slot already has
   * @param cwd directory to run in; empty keeps the profile's
   */
  public record Job(List<String> argv, Map<String, String> env, String cwd, List<InLineFile> files) {
    public Job {
      argv = List.copyOf(argv);
      env = Sorted.copy(env);
      cwd = cwd == null ? "" : cwd;
      files = List.copyOf(files);
    }

    public Job(List<String> argv, Map<String, String> env, String cwd) {
      this(argv, env, cwd, List.of());
    }
  }

  /**
   * A file the agent itself writes before the job (forked slots: the zygote cannot reach their workspace).
   *
   * @param path absolute path in the sandbox, already checked to lie inside the workspace
   */
  public record InLineFile(String path, int mode, byte[] content) {}

  /** The request's files as the agent writes them: absolute paths under {@code workspaceTarget}. */
  public static List<InLineFile> inLine(String workspaceTarget, List<WorkspaceFile> files) {
    List<InLineFile> out = new java.util.ArrayList<>();
    for (WorkspaceFile file : files) {
      String path = workspaceTarget + "/" + String.join("/", WorkspacePaths.components(workspaceTarget, file.path()));
      out.add(new InLineFile(path, file.mode() == 0 ? 0644 : file.mode() & 0777, file.content()));
    }
    return out;
  }

  /** The agent a pool of {@code profile} gets when none is named: Python for the python profiles. */
  public static SlotAgent forProfile(String profile) {
    return profile.startsWith("python") ? PYTHON : profile.startsWith("node") ? NODE : SHELL;
  }

  /** By configuration name: shell, python, node. */
  public static java.util.Optional<SlotAgent> named(String name) {
    return java.util.Arrays.stream(values()).filter(a -> a.name().equalsIgnoreCase(name)).findFirst();
  }

  /** The slot's command line: what bubblewrap runs in the sandbox. */
  public abstract List<String> argv();

  /** What the zygote writes to the agent's stdin when the slot is made, before any job. */
  public byte[] preamble() {
    if (this == SHELL) {
      return new byte[0];
    }
    byte[] source = (this == PYTHON ? PYTHON_AGENT : NODE_AGENT).getBytes(StandardCharsets.UTF_8);
    byte[] out = java.util.Arrays.copyOf(source, source.length + 1); // NUL-terminated
    return out;
  }

  /**
   * What the zygote writes to a Python fork server's stdin when it starts: the Python agent (its jobs run in
   * the forked slots) and the server loop (python-forkserver.py), NUL-terminated.
   */
  public static byte[] forkServerPreamble() {
    byte[] source = ("FORK_SERVER = True\n" + PYTHON_AGENT + "\n" + PYTHON_FORK_SERVER).getBytes(StandardCharsets.UTF_8);
    return java.util.Arrays.copyOf(source, source.length + 1);
  }

  /** The job line this agent reads. */
  public abstract byte[] encode(Job job);

  /**
   * Refuses a job whose argv and environment together exceed {@value #MAX_JOB_BYTES} bytes, on every path, so
   * that whether a run fits never depends on whether a warm slot was free.
   */
  public static void requireFits(List<String> argv, Map<String, String> env) {
    long bytes = approximateBytes(argv, env);
    if (bytes > MAX_JOB_BYTES) {
      throw new ZygoteException(ZygoteException.Reason.TOO_LARGE, "the command and environment take about " + bytes
          + " bytes, above the " + MAX_JOB_BYTES + "-byte limit of a job handed to a sandbox");
    }
  }

  /** The size of a job's words with a few bytes of framing each, before any quoting (UTF-16 units). */
  public static long approximateBytes(List<String> argv, Map<String, String> env) {
    long bytes = 0;
    for (String arg : argv) {
      bytes += arg.length() + 3;
    }
    for (Map.Entry<String, String> e : env.entrySet()) {
      bytes += e.getKey().length() + e.getValue().length() + 12;
    }
    return bytes;
  }

  /**
   * The job line, or {@code RESOURCE_EXHAUSTED} when it exceeds {@value #MAX_JOB_BYTES} bytes: the agent reads
   * it byte by byte, so the limit keeps a handover in the milliseconds.
   */
  public byte[] handover(Job job) {
    byte[] line = encode(job);
    if (line.length > MAX_JOB_BYTES) {
      throw new ZygoteException(ZygoteException.Reason.TOO_LARGE, "the command and environment take " + line.length
          + " bytes, above the " + MAX_JOB_BYTES + "-byte limit of a job handed to a sandbox");
    }
    return line;
  }

  /**
   * A warm run whose agent could not exec the job ended before the command existed: that is a failure to
   * start, as bubblewrap's own execvp failure is on the cold path, not a command that exited 127.
   */
  public static Outcomes.Verdict classifyStart(Outcomes.Verdict verdict, BwrapStatus status, byte[] stderrHead) {
    if (verdict.status() != RunOutcome.Status.OK || status.exitCode().orElse(-1) != EXEC_FAILED_CODE) {
      return verdict;
    }
    String head = new String(stderrHead, StandardCharsets.UTF_8);
    if (!head.startsWith(EXEC_FAILED_PREFIX)) {
      return verdict;
    }
    int end = head.indexOf('\n');
    String reason = head.substring(EXEC_FAILED_PREFIX.length(), end < 0 ? head.length() : end);
    return new Outcomes.Verdict(RunOutcome.Status.FAILED_TO_START, reason);
  }

  private static boolean hasNewline(Job job) {
    if (job.cwd().indexOf('\n') >= 0 || job.argv().stream().anyMatch(a -> a.indexOf('\n') >= 0)) {
      return true;
    }
    return job.env().entrySet().stream().anyMatch(e -> (e.getKey() + e.getValue()).indexOf('\n') >= 0);
  }

  /**
   * Single-quoted for sh; a newline becomes {@code "$nl"} so the job stays one line for {@code read} (the
   * job line then defines {@code nl} first).
   */
  static String shellQuote(String s) {
    return singleQuoted(s).replace("\n", "'\"$nl\"'");
  }

  /** {@code s} as one sh word in single quotes (a quote inside becomes {@code '\''}). */
  public static String singleQuoted(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  static String jsonString(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  /**
   * Checks the command the way execvp would, so a missing one is reported as a failure to start rather than
   * as whatever the shell prints; {@code e} and {@code job} are shell variables, never exported to the job.
   * One line: a sandbox sees its first process's command line in /proc/1/cmdline, where a script would
   * spill over many lines.
   */
  static final String SHELL_AGENT = "r() { e=; case $1 in "
      + "*/*) if [ ! -e \"$1\" ]; then e='No such file or directory'; "
      + "elif [ -d \"$1\" ] || [ ! -x \"$1\" ]; then e='Permission denied'; fi ;; "
      + "*) command -v -- \"$1\" >/dev/null 2>&1 || e='No such file or directory' ;; esac; "
      + "if [ -n \"$e\" ]; then printf 'phantom-slot: execvp %s: %s\\n' \"$1\" \"$e\" >&2; exit 127; fi; "
      + "exec \"$@\"; }; "
      + "IFS= read -r job || exit 125; eval \"$job\"";

  /**
   * Reads the agent's source from stdin up to a NUL byte (the zygote writes it first, before any job) and
   * runs it under its own file name, so that its frames can be left out of the job's tracebacks. The
   * source does not go on the command line, which every process of the sandbox can read.
   */
  static final String PYTHON_BOOT = "import os; exec(compile(b''.join(iter(lambda: os.read(0, 1) or b'\\0', b'\\0')),"
      + " '<phantom-slot>', 'exec'))";

  static final String PYTHON_AGENT = resource("python-slot.py");

  static final String PYTHON_FORK_SERVER = resource("python-forkserver.py");

  /** As {@link #PYTHON_BOOT}: the agent's source up to a NUL on stdin, run with {@code require} at hand. */
  static final String NODE_BOOT = "const fs = require('fs'), b = [], o = Buffer.alloc(1); "
      + "while (fs.readSync(0, o, 0, 1, null) === 1 && o[0] !== 0) b.push(o[0]); "
      + "require('vm').runInThisContext('(function (require) {' + Buffer.from(b).toString() + '\\n})', "
      + "{filename: '<phantom-slot>'})(require);";

  static final String NODE_AGENT = resource("node-slot.js");

  private static String resource(String name) {
    try (InputStream in = SlotAgent.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource " + name + " is missing from the zygote's jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
