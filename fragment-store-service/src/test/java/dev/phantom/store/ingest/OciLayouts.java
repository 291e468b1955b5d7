package dev.phantom.store.ingest;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Writes OCI image layouts (oci-layout, index.json, blobs) for tests. */
final class OciLayouts {

  private OciLayouts() {}

  static Path write(Path root, List<byte[]> layers) throws Exception {
    Files.createDirectories(root.resolve("blobs/sha256"));
    Files.writeString(root.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
    JsonArray layerDescriptors = new JsonArray();
    for (byte[] layer : layers) {
      String media = layer[0] == (byte) 0x1f ? "application/vnd.oci.image.layer.v1.tar+gzip"
          : "application/vnd.oci.image.layer.v1.tar";
      layerDescriptors.add(new JsonObject().put("mediaType", media).put("digest", blob(root, layer))
          .put("size", layer.length));
    }
    String config = blob(root, "{}".getBytes(StandardCharsets.UTF_8));
    byte[] manifest = new JsonObject().put("schemaVersion", 2)
        .put("mediaType", "application/vnd.oci.image.manifest.v1+json")
        .put("config", new JsonObject().put("mediaType", "application/vnd.oci.image.config.v1+json").put("digest", config))
        .put("layers", layerDescriptors).encode().getBytes(StandardCharsets.UTF_8);
    String manifestDigest = blob(root, manifest);
    Files.writeString(root.resolve("index.json"), new JsonObject().put("schemaVersion", 2)
        .put("manifests", new JsonArray().add(new JsonObject()
            .put("mediaType", "application/vnd.oci.image.manifest.v1+json").put("digest", manifestDigest)
            .put("size", manifest.length)))
        .encode());
    return root;
  }

  private static String blob(Path root, byte[] content) throws Exception {
    String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    Files.write(root.resolve("blobs/sha256").resolve(hex), content);
    return "sha256:" + hex;
  }

  /** The layout as a tar archive, as {@code docker save} or skopeo write one. */
  static byte[] tarOf(Path layout) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out); var files = Files.walk(layout)) {
      for (Path p : files.filter(Files::isRegularFile).sorted().toList()) {
        TarArchiveEntry e = new TarArchiveEntry(layout.relativize(p).toString());
        byte[] content = Files.readAllBytes(p);
        e.setSize(content.length);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
      }
    }
    return out.toByteArray();
  }
}
