package dev.phantom.zygote.core;

import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Session (sandbox) ids: {@code <nodeId>.<26 base32 letters>} (128 random bits). The node id in front lets
 * any gateway route a call to the node holding the session without a registry. Pure.
 */
public final class SessionIds {

  private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();

  private SessionIds() {}

  public static String newId(String nodeId, RandomGenerator random) {
    return nodeId + "." + randomPart(random, 128);
  }

  /** {@code bits} random bits in base32 (lowercase letters and 2-7), e.g. for exec ids. */
  public static String randomPart(RandomGenerator random, int bits) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < (bits + 4) / 5; i++) {
      out.append(ALPHABET[random.nextInt(32)]);
    }
    return out.toString();
  }

  /** The node part of {@code id}, or empty when it is not shaped like a session id. */
  public static Optional<String> nodeOf(String id) {
    int dot = id.lastIndexOf('.');
    if (dot <= 0 || id.length() - dot - 1 != 26) {
      return Optional.empty();
    }
    return Optional.of(id.substring(0, dot));
  }
}
