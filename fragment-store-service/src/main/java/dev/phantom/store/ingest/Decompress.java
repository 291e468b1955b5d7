package dev.phantom.store.ingest;

import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** Recognizes gzip and zstd by their magic bytes; anything else is passed through as is (plain tar). */
final class Decompress {

  enum Kind { PLAIN, GZIP, ZSTD }

  private Decompress() {}

  static Kind kind(byte[] magic) {
    if (magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b) {
      return Kind.GZIP;
    }
    if (magic.length >= 4 && (magic[0] & 0xff) == 0x28 && (magic[1] & 0xff) == 0xb5 && (magic[2] & 0xff) == 0x2f
        && (magic[3] & 0xff) == 0xfd) {
      return Kind.ZSTD;
    }
    return Kind.PLAIN;
  }

  static InputStream open(InputStream raw) throws IOException {
    BufferedInputStream in = new BufferedInputStream(raw, 1 << 16);
    in.mark(4);
    byte[] magic = in.readNBytes(4);
    in.reset();
    return switch (kind(magic)) {
      case GZIP -> new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
      case ZSTD -> new BufferedInputStream(new ZstdInputStream(in), 1 << 16);
      case PLAIN -> in;
    };
  }
}
