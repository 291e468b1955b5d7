package dev.phantom.gateway.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The API keys a gateway accepts. Only salted SHA-256 digests are kept, so a leaked keys file does
 * not leak a key; every key is compared, in constant time, so timing tells nothing about which
 * key, if any, was close.
 */
public final class ApiKeys {

  /**
   * @param salt random bytes hashed before the key; may be empty for keys configured inline by digest
   * @param sha256 SHA-256 of salt followed by the key's UTF-8 bytes
   * @param ratePerSecond this key's request rate, or 0 for the gateway's default
   * @param maxSandboxes sandboxes (runs and sessions) this key may have at once, or 0 for no quota
   */
  public record ApiKey(String name, byte[] salt, byte[] sha256, double ratePerSecond, int maxSandboxes) {

    public static ApiKey unsalted(String name, byte[] sha256) {
      return new ApiKey(name, new byte[0], sha256, 0, 0);
    }
  }

  private final List<ApiKey> keys;

  public ApiKeys(List<ApiKey> keys) {
    this.keys = List.copyOf(keys);
  }

  public static ApiKeys none() {
    return new ApiKeys(List.of());
  }

  public boolean isEmpty() {
    return keys.isEmpty();
  }

  public List<ApiKey> keys() {
    return keys;
  }

  /** The key {@code presented} matches, if any. */
  public Optional<ApiKey> match(String presented) {
    if (presented == null || presented.isEmpty()) {
      return Optional.empty();
    }
    ApiKey found = null;
    for (ApiKey key : keys) {
      // Check every key, so the time taken does not depend on where a match is.
      if (MessageDigest.isEqual(digest(key.salt(), presented), key.sha256()) && found == null) {
        found = key;
      }
    }
    return Optional.ofNullable(found);
  }

  /** SHA-256 of {@code salt} then the key's UTF-8 bytes. */
  public static byte[] digest(byte[] salt, String key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(salt);
      return sha.digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  public static String sha256Hex(String key) {
    return HexFormat.of().formatHex(digest(new byte[0], key));
  }
}
