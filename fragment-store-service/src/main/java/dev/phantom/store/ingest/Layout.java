package dev.phantom.store.ingest;

import dev.phantom.store.core.PathRules;
import dev.phantom.store.core.StoreException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The layers of an image, in the order to apply them: from an OCI image layout ({@code oci-layout},
 * {@code index.json}, {@code blobs/sha256/...}; nested indexes are followed and, among several
 * manifests, the one for this host's architecture is taken) or from {@code docker save}'s
 * {@code manifest.json}.
 */
final class Layout {

  /** Reads a file of the layout by its path inside it. */
  interface Files {
    InputStream open(String path) throws IOException;
  }

  /** One layer: where its blob is, and the digest it must have ("" when the format names none). */
  record Layer(String path, String sha256) {}

  private Layout() {}

  static List<Layer> oci(Files files, String arch) throws IOException {
    JsonObject index = json(files, "index.json");
    for (int depth = 0; depth < 4; depth++) {
      JsonObject chosen = choose(index.getJsonArray("manifests", new JsonArray()), arch);
      String media = chosen.getString("mediaType", "");
      JsonObject blob = json(files, blobPath(chosen.getString("digest", "")));
      if (media.contains("index") || media.contains("manifest.list") || blob.containsKey("manifests")) {
        index = blob;
        continue;
      }
      List<Layer> layers = new ArrayList<>();
      for (Object o : blob.getJsonArray("layers", new JsonArray())) {
        String digest = ((JsonObject) o).getString("digest", "");
        layers.add(new Layer(blobPath(digest), digest.substring("sha256:".length())));
      }
      return layers;
    }
    throw StoreException.invalid("OCI layout: indexes nested more than 4 deep");
  }

  static List<Layer> dockerSave(Files files) throws IOException {
    JsonArray manifest;
    try (InputStream in = files.open("manifest.json")) {
      manifest = new JsonArray(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (DecodeException | ClassCastException e) {
      throw StoreException.invalid("docker save archive: manifest.json is not a JSON array");
    }
    if (manifest.isEmpty()) {
      throw StoreException.invalid("docker save archive: manifest.json lists no image");
    }
    List<Layer> layers = new ArrayList<>();
    for (Object o : manifest.getJsonObject(0).getJsonArray("Layers", new JsonArray())) {
      String path = (String) o;
      PathRules.entryPath(path);
      layers.add(new Layer(path, ""));
    }
    return layers;
  }

  private static JsonObject choose(JsonArray manifests, String arch) {
    if (manifests.isEmpty()) {
      throw StoreException.invalid("OCI layout: the index lists no manifest");
    }
    String goArch = arch.equals("x86_64") ? "amd64" : arch.equals("aarch64") ? "arm64" : arch;
    for (Object o : manifests) {
      JsonObject m = (JsonObject) o;
      JsonObject platform = m.getJsonObject("platform");
      if (platform != null && goArch.equals(platform.getString("architecture"))) {
        return m;
      }
    }
    return manifests.getJsonObject(0);
  }

  private static String blobPath(String digest) {
    if (!digest.matches("sha256:[0-9a-f]{64}")) {
      throw StoreException.invalid("OCI layout: unsupported digest '" + digest + "' (sha256 only)");
    }
    return "blobs/sha256/" + digest.substring("sha256:".length());
  }

  private static JsonObject json(Files files, String path) throws IOException {
    try (InputStream in = files.open(path)) {
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (DecodeException | ClassCastException e) {
      throw StoreException.invalid("OCI layout: " + path + " is not a JSON object");
    }
  }
}
