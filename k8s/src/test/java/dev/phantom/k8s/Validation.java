package dev.phantom.k8s;

import dev.phantom.k8s.Kustomization.Resource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Renders a kustomization, parses every object strictly, applies the rules. */
record Validation(List<HasMetadata> objects, List<String> problems) {

  static Validation of(Path dir) throws IOException {
    List<String> problems = new ArrayList<>();
    List<HasMetadata> objects = new ArrayList<>();
    List<Resource> rendered;
    try {
      rendered = Kustomization.build(dir);
    } catch (IllegalArgumentException e) {
      return new Validation(List.of(), List.of(e.getMessage()));
    }
    for (Resource r : rendered) {
      try {
        objects.add(StrictModel.parse(r.node()));
      } catch (IllegalArgumentException e) {
        problems.add(r.id() + ": " + e.getMessage());
      }
    }
    if (problems.isEmpty()) {
      problems.addAll(ManifestRules.check(objects));
    }
    return new Validation(objects, problems);
  }
}
