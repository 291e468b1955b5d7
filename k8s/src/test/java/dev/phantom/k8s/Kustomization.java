package dev.phantom.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The part of Kustomize these manifests use, since kustomize itself is not available offline: resources
 * (files and directories), {@code namespace}, {@code images} and strategic-merge {@code patches}.
 * Anything else in a kustomization.yaml is an error, so a manifest cannot rely on a feature this
 * renderer would silently skip. Strategic merge here means: maps merge key by key, {@code null}
 * deletes, lists of maps with a {@code name} merge by name, other lists are replaced.
 */
final class Kustomization {

  static final YAMLMapper YAML = new YAMLMapper();
  private static final Set<String> KEYS = Set.of("apiVersion", "kind", "resources", "namespace", "images", "patches");
  /** Kinds that have no namespace. */
  private static final Set<String> CLUSTER_KINDS = Set.of("Namespace", "ClusterRole", "ClusterRoleBinding",
      "PersistentVolume", "StorageClass", "PriorityClass");

  /** One rendered object and the file it came from. */
  record Resource(ObjectNode node, Path file) {
    String kind() {
      return node.path("kind").asText();
    }

    String name() {
      return node.path("metadata").path("name").asText();
    }

    String id() {
      return kind() + "/" + name() + " (" + file + ")";
    }
  }

  private Kustomization() {}

  /** Renders the kustomization in {@code dir}, the way {@code kubectl kustomize dir} would. */
  static List<Resource> build(Path dir) throws IOException {
    Path file = dir.resolve("kustomization.yaml");
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException(dir + " has no kustomization.yaml");
    }
    JsonNode k = YAML.readTree(file.toFile());
    for (Iterator<String> it = k.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException(file + ": '" + key + "' is not supported by this renderer " + KEYS);
      }
    }
    if (!"Kustomization".equals(k.path("kind").asText())
        || !"kustomize.config.k8s.io/v1beta1".equals(k.path("apiVersion").asText())) {
      throw new IllegalArgumentException(file + ": expected apiVersion kustomize.config.k8s.io/v1beta1, kind Kustomization");
    }
    List<Resource> out = new ArrayList<>();
    for (JsonNode entry : k.path("resources")) {
      Path path = dir.resolve(entry.asText()).normalize();
      if (Files.isDirectory(path)) {
        out.addAll(build(path));
      } else if (Files.isRegularFile(path)) {
        out.addAll(load(path));
      } else {
        throw new IllegalArgumentException(file + ": resource " + entry.asText() + " does not exist");
      }
    }
    for (JsonNode patch : k.path("patches")) {
      if (!patch.has("path") || patch.size() != 1) {
        throw new IllegalArgumentException(file + ": only 'patches: - path: FILE' is supported: " + patch);
      }
      Path path = dir.resolve(patch.path("path").asText()).normalize();
      if (!Files.isRegularFile(path)) {
        throw new IllegalArgumentException(file + ": patch " + path + " does not exist");
      }
      for (Resource p : load(path)) {
        List<Resource> targets = out.stream()
            .filter(r -> r.kind().equals(p.kind()) && r.name().equals(p.name())).toList();
        if (targets.size() != 1) {
          throw new IllegalArgumentException(path + ": patch targets " + p.kind() + "/" + p.name() + ", which "
              + (targets.isEmpty() ? "no resource is" : targets.size() + " resources are"));
        }
        if (!targets.get(0).node().path("apiVersion").equals(p.node().path("apiVersion"))) {
          throw new IllegalArgumentException(path + ": patch of " + p.kind() + "/" + p.name() + " has apiVersion "
              + p.node().path("apiVersion") + ", the resource " + targets.get(0).node().path("apiVersion"));
        }
        merge(targets.get(0).node(), p.node());
      }
    }
    for (JsonNode image : k.path("images")) {
      out.forEach(r -> retag(r.node(), image));
    }
    if (k.has("namespace")) {
      String ns = k.path("namespace").asText();
      for (Resource r : out) {
        if (!CLUSTER_KINDS.contains(r.kind())) {
          ((ObjectNode) r.node().path("metadata")).put("namespace", ns);
        }
      }
    }
    return out;
  }

  static List<Resource> load(Path file) throws IOException {
    List<Resource> docs = new ArrayList<>();
    try (var parser = YAML.createParser(file.toFile())) {
      for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
        JsonNode doc = it.next();
        if (doc == null || doc.isNull() || doc.isMissingNode() || doc.isEmpty()) {
          continue;
        }
        if (!doc.isObject()) {
          throw new IllegalArgumentException(file + ": a document is not a mapping");
        }
        docs.add(new Resource((ObjectNode) doc, file));
      }
    }
    return docs;
  }

  /** Strategic merge, as far as these manifests need it (see the class comment). */
  static void merge(ObjectNode target, ObjectNode patch) {
    for (Iterator<String> it = patch.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      JsonNode value = patch.get(key);
      JsonNode existing = target.get(key);
      if (value.isNull()) {
        target.remove(key);
      } else if (value.isObject() && existing != null && existing.isObject()) {
        merge((ObjectNode) existing, (ObjectNode) value);
      } else if (value.isArray() && existing != null && existing.isArray() && byName((ArrayNode) value)
          && byName((ArrayNode) existing)) {
        for (JsonNode element : value) {
          ObjectNode match = null;
          for (JsonNode candidate : existing) {
            if (candidate.path("name").equals(element.path("name"))) {
              match = (ObjectNode) candidate;
            }
          }
          if (match == null) {
            ((ArrayNode) existing).add(element.deepCopy());
          } else {
            merge(match, (ObjectNode) element);
          }
        }
      } else {
        target.set(key, value.deepCopy());
      }
    }
  }

  private static boolean byName(ArrayNode list) {
    if (list.isEmpty()) {
      return false;
    }
    for (JsonNode element : list) {
      if (!element.isObject() || !element.has("name")) {
        return false;
      }
    }
    return true;
  }

  private static void retag(JsonNode node, JsonNode image) {
    if (node.isObject()) {
      JsonNode current = node.get("image");
      if (current != null && current.isTextual() && node.has("name")) {
        String ref = current.asText();
        int colon = ref.lastIndexOf(':');
        String name = colon > ref.lastIndexOf('/') ? ref.substring(0, colon) : ref;
        String tag = colon > ref.lastIndexOf('/') ? ref.substring(colon + 1) : "latest";
        if (name.equals(image.path("name").asText())) {
          ((ObjectNode) node).put("image", image.path("newName").asText(name) + ":" + image.path("newTag").asText(tag));
        }
      }
      node.forEach(child -> retag(child, image));
    } else if (node.isArray()) {
      node.forEach(child -> retag(child, image));
    }
  }
}
