package dev.phantom.gateway.access;

import dev.phantom.gateway.core.ApiKeys;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The keys file ({@code $PHANTOM_HOME/keys.json}, by default {@code ~/.phantom/keys.json}): one entry
 * per key with its name, salt, salted SHA-256 and limits. A key itself is shown once, when created,
 * and stored nowhere. Blocking file I/O: never call on an event loop.
 */
public final class KeyStore {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final HexFormat HEX = HexFormat.of();

  private KeyStore() {}

  /** {@code $PHANTOM_HOME}, else {@code ~/.phantom}: where the CLI and a local gateway keep their state. */
  public static Path home() {
    String home = System.getenv("PHANTOM_HOME");
    return home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".phantom");
  }

  public static Path defaultFile() {
    return home().resolve("keys.json");
  }

  /** The keys in {@code file}; none when it does not exist. */
  public static ApiKeys load(Path file) throws IOException {
    if (!Files.exists(file)) {
      return ApiKeys.none();
    }
    List<ApiKeys.ApiKey> keys = new ArrayList<>();
    for (Object entry : entries(file)) {
      if (!(entry instanceof JsonObject key) || !(key.getValue("name") instanceof String name)
          || !(key.getValue("salt") instanceof String salt) || !(key.getValue("sha256") instanceof String digest)) {
        throw new IOException(file + ": every key needs a name, salt and sha256");
      }
      try {
        keys.add(new ApiKeys.ApiKey(name, HEX.parseHex(salt), HEX.parseHex(digest),
            key.getDouble("ratePerSecond", 0.0), key.getInteger("maxSandboxes", 0)));
      } catch (IllegalArgumentException | ClassCastException e) {
        throw new IOException(file + ": key '" + name + "' is malformed: " + e.getMessage());
      }
    }
    return new ApiKeys(keys);
  }

  /**
   * Adds a key and returns it: the only time it is ever shown.
   *
   * @throws IllegalArgumentException when a key of that name exists
   */
  public static String create(Path file, String name, double ratePerSecond, int maxSandboxes) throws IOException {
    JsonArray keys = Files.exists(file) ? entries(file) : new JsonArray();
    for (Object entry : keys) {
      if (entry instanceof JsonObject key && name.equals(key.getString("name"))) {
        throw new IllegalArgumentException("a key named '" + name + "' exists already in " + file);
      }
    }
    byte[] secret = new byte[24];
    byte[] salt = new byte[16];
    RANDOM.nextBytes(secret);
    RANDOM.nextBytes(salt);
    String key = "pf_" + HEX.formatHex(secret);
    keys.add(new JsonObject().put("name", name).put("salt", HEX.formatHex(salt))
        .put("sha256", HEX.formatHex(ApiKeys.digest(salt, key))).put("ratePerSecond", ratePerSecond)
        .put("maxSandboxes", maxSandboxes).put("createdAt", Instant.now().toString()));
    write(file, keys);
    return key;
  }

  /** Removes the named key; false when there was none. */
  public static boolean revoke(Path file, String name) throws IOException {
    if (!Files.exists(file)) {
      return false;
    }
    JsonArray keys = entries(file);
    JsonArray kept = new JsonArray();
    keys.forEach(entry -> {
      if (!(entry instanceof JsonObject key && name.equals(key.getString("name")))) {
        kept.add(entry);
      }
    });
    if (kept.size() == keys.size()) {
      return false;
    }
    write(file, kept);
    return true;
  }

  /** Names, limits and creation times: never digests. */
  public static List<JsonObject> describe(Path file) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    if (Files.exists(file)) {
      for (Object entry : entries(file)) {
        JsonObject key = (JsonObject) entry;
        out.add(new JsonObject().put("name", key.getString("name"))
            .put("ratePerSecond", key.getValue("ratePerSecond")).put("maxSandboxes", key.getValue("maxSandboxes"))
            .put("createdAt", key.getString("createdAt")));
      }
    }
    return out;
  }

  private static JsonArray entries(Path file) throws IOException {
    try {
      JsonObject root = new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
      JsonArray keys = root.getJsonArray("keys");
      if (keys == null) {
        throw new IOException(file + ": expected {\"keys\": [...]}");
      }
      return keys;
    } catch (DecodeException | ClassCastException e) {
      throw new IOException(file + " is not a keys file: " + e.getMessage());
    }
  }

  /** Written whole to a temporary file, readable by the owner only, then moved over the old one. */
  private static void write(Path file, JsonArray keys) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path temp = Files.createTempFile(dir, ".keys", ".json",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(temp, new JsonObject().put("keys", keys).encodePrettily(), StandardCharsets.UTF_8);
    try {
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
