package dev.phantom.zygote.core;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Parses what {@link ExecScripts#listFiles} prints. Pure; malformed entries are skipped. */
public final class FileListing {

  /** What a listed entry is. */
  public enum Type {
    REGULAR,
    DIRECTORY,
    SYMLINK,
    OTHER
  }

  /**
   * @param path relative to the workspace
   * @param mode permission bits (and setuid, setgid, sticky)
   * @param modifiedNanos since the epoch
   */
  public record Entry(String path, Type type, long size, int mode, long modifiedNanos) {}

  private FileListing() {}

  /**
   * @param prefix the listed directory relative to the workspace ("" for the workspace itself)
   */
  public static List<Entry> parse(byte[] output, String prefix) {
    String[] fields = new String(output, StandardCharsets.UTF_8).split("\0", -1);
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i + 4 < fields.length; i += 5) {
      try {
        Type type = switch (fields[i]) {
          case "f" -> Type.REGULAR;
          case "d" -> Type.DIRECTORY;
          case "l" -> Type.SYMLINK;
          default -> Type.OTHER;
        };
        long size = Long.parseLong(fields[i + 1]);
        int mode = Integer.parseInt(fields[i + 2], 8);
        String[] time = fields[i + 3].split("\\.", 2);
        long nanos = Long.parseLong(time[0]) * 1_000_000_000L;
        if (time.length == 2) {
          String fraction = (time[1] + "000000000").substring(0, 9);
          nanos += Long.parseLong(fraction);
        }
        String name = fields[i + 4];
        if (name.isEmpty() || size < 0) {
          continue;
        }
        entries.add(new Entry(prefix.isEmpty() ? name : prefix + "/" + name, type, size, mode & 07777, nanos));
      } catch (NumberFormatException e) {
        // skipped: the sandbox can make find print anything it likes as a name, but not break the parse
      }
    }
    return entries;
  }
}
