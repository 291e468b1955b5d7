package dev.phantom.zygote.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The shell scripts a session's agent runs for each exec, written by the zygote into the exec's
 * directory. Every string that comes from a request is single-quoted ({@link #quote}); nothing of a
 * request is ever interpolated unquoted. Each script first points its standard streams at the exec's
 * FIFOs, then does one thing. Pure.
 *
 * <p>File operations report a missing path with exit code {@value #MISSING} and a path of the wrong
 * type with {@value #WRONG_TYPE}, so the zygote can answer NOT_FOUND and INVALID_ARGUMENT.
 */
public final class ExecScripts {

  /** Exit code of a file operation whose path does not exist. */
  public static final int MISSING = 3;
  /** Exit code of a file operation whose path is of the wrong type (a directory to read, a file to list). */
  public static final int WRONG_TYPE = 4;

  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private ExecScripts() {}

  /** {@code s} as one shell word: single quotes, each quote written as {@code '\''}. */
  public static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /**
   * @param io the exec directories' parent inside the sandbox, e.g. {@code /.phantom}
   * @param execId letters and digits only
   */
  static String redirect(String io, String execId) {
    if (!execId.matches("[A-Za-z0-9]{1,64}")) {
      throw new IllegalArgumentException("exec id must be 1-64 letters and digits: " + execId);
    }
    String dir = io + "/" + execId + "/";
    return "exec <" + dir + "in >" + dir + "out 2>" + dir + "err\n";
  }

  /**
   * Runs {@code argv} in {@code cwd} with {@code env} exported on top of the session's environment.
   *
   * @throws ZygoteException {@code INVALID_REQUEST} for an empty argv, NUL anywhere, an env name that is
   *     not a shell identifier
   */
  public static String command(String io, String execId, List<String> argv, Map<String, String> env, String cwd) {
    List<String> problems = new ArrayList<>();
    if (argv.isEmpty() || argv.getFirst().isEmpty()) {
      problems.add("argv must name a command to run");
    }
    if (argv.stream().anyMatch(a -> a.indexOf('\0') >= 0)) {
      problems.add("argv contains a NUL character");
    }
    if (cwd.indexOf('\0') >= 0) {
      problems.add("cwd contains a NUL character");
    }
    env.forEach((name, value) -> {
      if (!ENV_NAME.matcher(name).matches()) {
        problems.add("env name '" + name.replace("\0", "\\0") + "' is not a shell identifier ([A-Za-z_][A-Za-z0-9_]*)");
      } else if (value.indexOf('\0') >= 0) {
        problems.add("env " + name + " contains a NUL character");
      }
    });
    if (!problems.isEmpty()) {
      throw new ZygoteException(ZygoteException.Reason.INVALID_REQUEST, String.join("; ", problems));
    }
    StringBuilder script = new StringBuilder(redirect(io, execId));
    script.append("cd -- ").append(quote(cwd)).append(" || exit 126\n");
    env.forEach((name, value) -> script.append("export ").append(name).append('=').append(quote(value)).append('\n'));
    script.append("exec");
    for (String arg : argv) {
      script.append(' ').append(quote(arg));
    }
    return script.append('\n').toString();
  }

  /** Streams a regular file (or what a symbolic link inside the sandbox points to) on standard output. */
  public static String readFile(String io, String execId, String path) {
    return redirect(io, execId) + "p=" + quote(path) + "\n"
        + "[ -e \"$p\" ] || { echo \"no such file: $p\" >&2; exit " + MISSING + "; }\n"
        + "[ -d \"$p\" ] && { echo \"is a directory: $p\" >&2; exit " + WRONG_TYPE + "; }\n"
        + "exec cat -- \"$p\"\n";
  }

  /**
   * Lists a directory as NUL-separated fields, five per entry: type letter, size, octal mode, mtime in
   * seconds since the epoch, path relative to the directory ({@link FileListing} parses it). Symbolic
   * links are listed, never followed.
   */
  public static String listFiles(String io, String execId, String dir, boolean recursive) {
    return redirect(io, execId) + "p=" + quote(dir) + "\n"
        + "[ -e \"$p\" ] || { echo \"no such directory: $p\" >&2; exit " + MISSING + "; }\n"
        + "[ -d \"$p\" ] || { echo \"not a directory: $p\" >&2; exit " + WRONG_TYPE + "; }\n"
        + "exec find -P \"$p/\" -mindepth 1 " + (recursive ? "" : "-maxdepth 1 ")
        + "-printf '%y\\0%s\\0%m\\0%T@\\0%P\\0'\n";
  }

  /** Removes files (and whole trees when {@code recursive}); missing paths are not an error. */
  public static String remove(String io, String execId, List<String> paths, boolean recursive) {
    return redirect(io, execId) + "exec rm -f" + (recursive ? "r" : "") + " --" + words(paths) + "\n";
  }

  /** Creates directories with their parents; {@code mode} applies to the last component of each. */
  public static String makeDirectories(String io, String execId, List<String> paths, int mode) {
    return redirect(io, execId) + "exec mkdir -p -m " + Integer.toOctalString(mode & 07777) + " --" + words(paths) + "\n";
  }

  /**
   * Unpacks the tar archive on standard input into {@code dir} (created if missing), listing each entry
   * on standard output. GNU tar refuses members with {@code ..} and strips leading slashes; whatever a
   * member's symbolic link points to resolves inside the sandbox.
   */
  public static String unpack(String io, String execId, String dir, boolean keepModes) {
    return redirect(io, execId) + "d=" + quote(dir) + "\n"
        + "mkdir -p -- \"$d\" || exit 1\n"
        + "exec tar -x -v --no-same-owner " + (keepModes ? "-p " : "") + "-C \"$d\" -f -\n";
  }

  /** Writes {@code dir} as a tar archive on standard output. */
  public static String pack(String io, String execId, String dir) {
    return redirect(io, execId) + "d=" + quote(dir) + "\n"
        + "[ -e \"$d\" ] || { echo \"no such directory: $d\" >&2; exit " + MISSING + "; }\n"
        + "[ -d \"$d\" ] || { echo \"not a directory: $d\" >&2; exit " + WRONG_TYPE + "; }\n"
        + "exec tar -c -C \"$d\" -f - .\n";
  }

  private static String words(List<String> values) {
    StringBuilder out = new StringBuilder();
    for (String value : values) {
      out.append(' ').append(quote(value));
    }
    return out.toString();
  }
}
