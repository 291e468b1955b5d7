package dev.phantom.gateway.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The API keys a gateway accepts. Only their SHA-256 digests are configured, so a leaked config file
 * does not leak a key; comparison takes the same time whatever the key, so timing tells nothing.
 */
public final class ApiKeys {

  /** @param sha256 the digest of the key's UTF-8 bytes */
  public record ApiKey(String name, byte[] sha256) {}

  private final List<ApiKey> keys;

  public ApiKeys(List<ApiKey> keys) {
    this.keys = List.copyOf(keys);
  }

  public boolean isEmpty() {
    return keys.isEmpty();
  }

  /** The name of the key {@code presented} matches, if any. */
  public Optional<String> match(String presented) {
    if (presented == null || presented.isEmpty()) {
      return Optional.empty();
    }
    byte[] digest = sha256(presented);
    String found = null;
    for (ApiKey key : keys) {
      // Check every key, so the time taken does not depend on where a match is.
      if (MessageDigest.isEqual(digest, key.sha256()) && found == null) {
        found = key.name();
      }
    }
    return Optional.ofNullable(found);
  }

  public static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  public static String sha256Hex(String key) {
    return HexFormat.of().formatHex(sha256(key));
  }
}
