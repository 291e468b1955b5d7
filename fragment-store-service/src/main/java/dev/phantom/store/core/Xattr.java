package dev.phantom.store.core;

import java.util.Arrays;

/** One extended attribute: a name such as {@code user.mime_type} and raw bytes. */
public record Xattr(String name, byte[] value) {

  public static final int MAX_NAME_BYTES = 255;
  public static final int MAX_VALUE_BYTES = 64 * 1024;

  public Xattr {
    if (name.isEmpty() || name.length() > MAX_NAME_BYTES || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("bad xattr name '" + name + "'");
    }
    if (value.length > MAX_VALUE_BYTES) {
      throw new IllegalArgumentException("xattr " + name + " value of " + value.length + " bytes; at most "
          + MAX_VALUE_BYTES);
    }
    value = value.clone();
  }

  @Override
  public byte[] value() {
    return value.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Xattr x && name.equals(x.name) && Arrays.equals(value, x.value);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return name + "(" + value.length + " bytes)";
  }
}
