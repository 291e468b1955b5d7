package dev.phantom.zygote.core;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes files as a tar archive (ustar, with GNU long names), to hand WriteFiles to {@code tar -x}
 * inside the sandbox in one stream. Pure.
 */
public final class TarWriter {

  private static final int BLOCK = 512;

  private TarWriter() {}

  /** Files by path relative to the archive's root (already validated), content and permission bits. */
  public static byte[] archive(List<WorkspaceFile> files, long mtimeSeconds) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (WorkspaceFile file : files) {
      byte[] name = file.path().getBytes(StandardCharsets.UTF_8);
      if (name.length > 100) {
        byte[] longName = new byte[name.length + 1];
        System.arraycopy(name, 0, longName, 0, name.length);
        writeHeader(out, "././@LongLink".getBytes(StandardCharsets.US_ASCII), 0644, longName.length, 0, 'L');
        writePadded(out, longName);
      }
      int mode = file.mode() == 0 ? 0644 : file.mode() & 07777;
      writeHeader(out, name.length > 100 ? java.util.Arrays.copyOf(name, 100) : name, mode, file.content().length,
          mtimeSeconds, '0');
      writePadded(out, file.content());
    }
    out.writeBytes(new byte[BLOCK * 2]);
    return out.toByteArray();
  }

  private static void writeHeader(ByteArrayOutputStream out, byte[] name, int mode, long size, long mtime, char type) {
    byte[] h = new byte[BLOCK];
    System.arraycopy(name, 0, h, 0, Math.min(name.length, 100));
    octal(h, 100, 8, mode);
    octal(h, 108, 8, 0);
    octal(h, 116, 8, 0);
    octal(h, 124, 12, size);
    octal(h, 136, 12, mtime);
    java.util.Arrays.fill(h, 148, 156, (byte) ' ');
    h[156] = (byte) type;
    byte[] magic = "ustar\u000000".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(magic, 0, h, 257, magic.length);
    long sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    octal(h, 148, 7, sum);
    out.writeBytes(h);
  }

  /** {@code width - 1} octal digits and a NUL. */
  private static void octal(byte[] h, int offset, int width, long value) {
    String digits = Long.toOctalString(value);
    if (digits.length() > width - 1) {
      throw new IllegalArgumentException("value " + value + " does not fit a tar header field");
    }
    String padded = "0".repeat(width - 1 - digits.length()) + digits;
    System.arraycopy(padded.getBytes(StandardCharsets.US_ASCII), 0, h, offset, width - 1);
    h[offset + width - 1] = 0;
  }

  private static void writePadded(ByteArrayOutputStream out, byte[] data) {
    out.writeBytes(data);
    int rest = data.length % BLOCK;
    if (rest != 0) {
      out.writeBytes(new byte[BLOCK - rest]);
    }
  }
}
