package dev.phantom.store.core;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A SHA-256 digest: the name of a chunk (of its uncompressed bytes) and of a tree node (of its
 * canonical encoding), so a manifest's root digest names a whole image. SHA-256 rather than BLAKE3:
 * with the CPU's SHA extensions the JDK hashes about five times faster here than commons-codec's
 * pure-Java BLAKE3 (StoreBenchmark prints both).
 */
public final class Digest implements Comparable<Digest> {

  public static final int BYTES = 32;
  private static final HexFormat HEX = HexFormat.of();
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(Digest::newSha256);

  private final byte[] bytes;
  private final int hash;

  private Digest(byte[] bytes) {
    this.bytes = bytes;
    this.hash = Arrays.hashCode(bytes);
  }

  public static Digest of(byte[] data) {
    return of(data, 0, data.length);
  }

  public static Digest of(byte[] data, int off, int len) {
    MessageDigest md = SHA256.get();
    md.update(data, off, len);
    return new Digest(md.digest());
  }

  /** From 32 raw bytes (copied). */
  public static Digest fromBytes(byte[] raw) {
    if (raw.length != BYTES) {
      throw new IllegalArgumentException("a digest has " + BYTES + " bytes, not " + raw.length);
    }
    return new Digest(raw.clone());
  }

  /** From 64 lowercase hex digits. */
  public static Digest parse(String hex) {
    if (hex == null || hex.length() != 2 * BYTES || !hex.chars().allMatch(c -> c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
      throw new IllegalArgumentException("not a digest (64 lowercase hex digits): '" + abbreviate(hex) + "'");
    }
    return new Digest(HEX.parseHex(hex));
  }

  public byte[] toBytes() {
    return bytes.clone();
  }

  public String hex() {
    return HEX.formatHex(bytes);
  }

  /** The first 12 hex digits, for messages. */
  public String shortHex() {
    return hex().substring(0, 12);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Digest d && Arrays.equals(bytes, d.bytes);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public int compareTo(Digest o) {
    return Arrays.compareUnsigned(bytes, o.bytes);
  }

  @Override
  public String toString() {
    return hex();
  }

  private static String abbreviate(String s) {
    return s == null ? "null" : s.length() > 80 ? s.substring(0, 80) + "…" : s;
  }

  private static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }
}
