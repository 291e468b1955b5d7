package dev.phantom.gateway.cli;

import com.google.protobuf.ByteString;
import dev.phantom.api.v1.WorkspaceFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Locale;
import java.util.Set;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Parses the human units of CLI flags; a bad value is a usage error naming the flag. */
final class CliUnits {

  private CliUnits() {}

  /** {@code 512MiB}, {@code 1GiB}, {@code 64M}, {@code 4096}. Binary units either way. */
  static long bytes(String text, String flag, CommandSpec spec) {
    String t = text.trim().toLowerCase(Locale.ROOT).replace("ib", "").replace("b", "");
    long unit = 1;
    if (!t.isEmpty() && "kmgt".indexOf(t.charAt(t.length() - 1)) >= 0) {
      unit = 1L << (10 * ("kmgt".indexOf(t.charAt(t.length() - 1)) + 1));
      t = t.substring(0, t.length() - 1);
    }
    try {
      long value = Long.parseLong(t.trim());
      if (value <= 0) {
        throw new NumberFormatException();
      }
      return Math.multiplyExact(value, unit);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new ParameterException(spec.commandLine(), flag + " must be a size such as 256MiB or 1GiB, got '" + text + "'");
    }
  }

  /** {@code 0.5} cores or {@code 500m}. */
  static int millicores(String text, CommandSpec spec) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    try {
      double cores = t.endsWith("m") ? Double.parseDouble(t.substring(0, t.length() - 1)) / 1000 : Double.parseDouble(t);
      if (!(cores > 0) || cores > 1024) {
        throw new NumberFormatException();
      }
      return (int) Math.max(1, Math.round(cores * 1000));
    } catch (NumberFormatException e) {
      throw new ParameterException(spec.commandLine(), "--cpu must be cores such as 0.5 or 500m, got '" + text + "'");
    }
  }

  /** {@code LOCAL:SANDBOXPATH}: the local file's bytes and permission bits, for the sandbox path. */
  static WorkspaceFile workspaceFile(String text, CommandSpec spec) {
    int colon = text.indexOf(':');
    if (colon <= 0 || colon == text.length() - 1) {
      throw new ParameterException(spec.commandLine(), "--file must be LOCAL:SANDBOXPATH, got '" + text + "'");
    }
    Path local = Path.of(text.substring(0, colon));
    try {
      return WorkspaceFile.newBuilder()
          .setPath(text.substring(colon + 1))
          .setContent(ByteString.copyFrom(Files.readAllBytes(local)))
          .setMode(mode(Files.getPosixFilePermissions(local)))
          .build();
    } catch (IOException e) {
      throw new ParameterException(spec.commandLine(), "--file: cannot read " + local + ": " + e.getMessage());
    }
  }

  private static int mode(Set<PosixFilePermission> permissions) {
    int mode = 0;
    for (PosixFilePermission permission : permissions) {
      mode |= 1 << (8 - permission.ordinal());
    }
    return mode;
  }
}
