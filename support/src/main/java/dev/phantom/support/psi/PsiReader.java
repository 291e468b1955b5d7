package dev.phantom.support.psi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the host's pressure files. Blocking file reads (tiny, from procfs): call off the event loop or
 * accept a few microseconds on it.
 */
public final class PsiReader {

  /** The host-wide files; a cgroup's {@code cpu.pressure} etc. have the same format. */
  public static final Path PROC_PRESSURE = Path.of("/proc/pressure");

  /** Resources with a pressure file. */
  public enum Resource { CPU, MEMORY, IO }

  private final Path dir;

  /** @param dir a directory holding {@code cpu}, {@code memory} and {@code io}, normally /proc/pressure */
  public PsiReader(Path dir) {
    this.dir = dir;
  }

  public static Path file(Path dir, Resource resource) {
    return dir.resolve(resource.name().toLowerCase(java.util.Locale.ROOT));
  }

  /**
   * @throws IOException naming the file when it is missing (kernel without CONFIG_PSI, or booted with
   *     psi=0) or unreadable, or when its content is not PSI
   */
  public PsiParser.Reading read(Resource resource) throws IOException {
    Path file = file(dir, resource);
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new IOException("reading " + file + " failed (kernel without PSI, or booted with psi=0?): " + e, e);
    }
    try {
      return PsiParser.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }
}
