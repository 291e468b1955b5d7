package dev.phantom.zygote.bwrap;

import java.util.Arrays;

/** A byte buffer that grows by doubling but never beyond its limit, so a run costs at most its cap. */
final class BoundedBuffer {

  private final int limit;
  private byte[] bytes = new byte[0];
  private int size;

  BoundedBuffer(long limit) {
    this.limit = (int) Math.min(limit, Integer.MAX_VALUE - 8);
  }

  /** Appends the first {@code length} bytes of {@code data}; the caller has already applied the budget. */
  void append(byte[] data, int length) {
    if (size + length > bytes.length) {
      int grown = Math.max(size + length, Math.max(4096, bytes.length * 2));
      bytes = Arrays.copyOf(bytes, Math.min(grown, limit));
    }
    System.arraycopy(data, 0, bytes, size, length);
    size += length;
  }

  int size() {
    return size;
  }

  int capacity() {
    return bytes.length;
  }

  byte[] toByteArray() {
    return Arrays.copyOf(bytes, size);
  }
}
