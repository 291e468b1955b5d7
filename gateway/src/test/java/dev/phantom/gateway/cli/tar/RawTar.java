package dev.phantom.gateway.cli.tar;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes ustar headers byte by byte, so that a test can say exactly what a hostile sandbox would send
 * (absolute names, '..', sizes that lie) without a tar library tidying it first.
 */
final class RawTar {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  RawTar dir(String name) {
    return entry(name, '5', "", 0755, new byte[0], -1);
  }

  RawTar file(String name, String content) {
    return file(name, content, 0644);
  }

  RawTar file(String name, String content, int mode) {
    return entry(name, '0', "", mode, content.getBytes(StandardCharsets.UTF_8), -1);
  }

  RawTar symlink(String name, String target) {
    return entry(name, '2', target, 0777, new byte[0], -1);
  }

  RawTar hardLink(String name, String target) {
    return entry(name, '1', target, 0644, new byte[0], -1);
  }

  RawTar special(String name, char type) {
    return entry(name, type, "", 0644, new byte[0], -1);
  }

  /** A header that claims {@code claimedSize} bytes, followed by only {@code data}. */
  RawTar lyingFile(String name, long claimedSize, String data) {
    return entry(name, '0', "", 0644, data.getBytes(StandardCharsets.UTF_8), claimedSize);
  }

  private RawTar entry(String name, char type, String link, int mode, byte[] data, long claimedSize) {
    byte[] header = new byte[512];
    put(header, 0, 100, name.getBytes(StandardCharsets.UTF_8));
    octal(header, 100, 8, mode);
    octal(header, 108, 8, 1000);
    octal(header, 116, 8, 1000);
    octal(header, 124, 12, claimedSize >= 0 ? claimedSize : data.length);
    octal(header, 136, 12, 1_700_000_000L);
    header[156] = (byte) type;
    put(header, 157, 100, link.getBytes(StandardCharsets.UTF_8));
    put(header, 257, 6, "ustar\0".getBytes(StandardCharsets.US_ASCII));
    put(header, 263, 2, "00".getBytes(StandardCharsets.US_ASCII));
    for (int i = 148; i < 156; i++) {
      header[i] = ' ';
    }
    long sum = 0;
    for (byte b : header) {
      sum += b & 0xff;
    }
    byte[] checksum = String.format("%06o\0 ", sum).getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(checksum, 0, header, 148, 8);
    out.writeBytes(header);
    out.writeBytes(data);
    out.writeBytes(new byte[(512 - data.length % 512) % 512]);
    return this;
  }

  private static void put(byte[] header, int at, int length, byte[] value) {
    if (value.length > length) {
      throw new IllegalArgumentException("field too long for a plain ustar header: " + new String(value, StandardCharsets.UTF_8));
    }
    System.arraycopy(value, 0, header, at, value.length);
  }

  private static void octal(byte[] header, int at, int length, long value) {
    String digits = String.format("%0" + (length - 1) + "o", value);
    put(header, at, length, (digits + "\0").getBytes(StandardCharsets.US_ASCII));
  }

  /** The archive with its two zero blocks, written to {@code file}. */
  Path writeTo(Path file) throws IOException {
    ByteArrayOutputStream whole = new ByteArrayOutputStream();
    whole.writeBytes(out.toByteArray());
    whole.writeBytes(new byte[1024]);
    return Files.write(file, whole.toByteArray());
  }
}
