package dev.phantom.support.bus;

import dev.phantom.support.PhantomException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The store tag that keeps a workspace snapshot alive, part of the bus contract like {@link Addresses}:
 * the zygote that takes a snapshot sets it, a zygote restoring one resolves it, the gateway deletes it.
 * {@code snapshot-<first 16 hex digits of SHA-256(owner)>:<manifest hex>}: the owner is in the name, so
 * an API key finds only its own snapshots, while the same content stays one manifest and one set of chunks.
 */
public final class SnapshotTags {

  private static final Pattern ID = Pattern.compile("[0-9a-f]{64}");

  private SnapshotTags() {}

  /** The tag of {@code snapshotId} for {@code owner}; INVALID_ARGUMENT unless the id is 64 lowercase hex digits. */
  public static String tag(String owner, String snapshotId) {
    return "snapshot-" + ownerKey(owner) + ":" + requireId(snapshotId);
  }

  public static String requireId(String snapshotId) {
    if (snapshotId == null || !ID.matcher(snapshotId).matches()) {
      throw PhantomException.invalidArgument("a snapshot id is 64 lowercase hex digits, got '"
          + (snapshotId == null ? "" : snapshotId.length() > 80 ? snapshotId.substring(0, 80) + "..." : snapshotId) + "'");
    }
    return snapshotId;
  }

  private static String ownerKey(String owner) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(owner.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
