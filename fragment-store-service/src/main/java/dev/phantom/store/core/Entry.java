package dev.phantom.store.core;

import java.util.List;

/** One name in a directory of a manifest. Names are validated by {@link Tree}. */
public sealed interface Entry {

  String name();

  Meta meta();

  /** A regular file: its bytes are its chunks, in order. */
  record File(String name, Meta meta, long size, List<ChunkRef> chunks) implements Entry {
    public File {
      chunks = List.copyOf(chunks);
      long sum = 0;
      for (ChunkRef c : chunks) {
        sum += c.length();
      }
      if (sum != size) {
        throw new IllegalArgumentException("file " + name + ": chunks add up to " + sum + " bytes, size says " + size);
      }
    }
  }

  /** A directory: its entries are the tree named by {@code tree}. */
  record Dir(String name, Meta meta, Digest tree) implements Entry {}

  /** A symbolic link; the target is kept as written (absolute targets resolve inside the image). */
  record Symlink(String name, Meta meta, String target) implements Entry {}

  /** A second name for a file elsewhere in the same image: {@code target} is a path from the root. */
  record Hardlink(String name, Meta meta, String target) implements Entry {}

  /** A chunk of a file: its digest and uncompressed length. */
  record ChunkRef(Digest digest, int length) {
    public ChunkRef {
      if (length <= 0) {
        throw new IllegalArgumentException("chunk length must be positive: " + length);
      }
    }
  }
}
