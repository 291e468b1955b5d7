package dev.phantom.k8s;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBuilder;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.util.Map;

/**
 * Reads a manifest into fabric8's typed Kubernetes model, refusing every field the model does not
 * know. fabric8 classes keep unknown fields in an "additionalProperties" map (an any-setter), which
 * would accept any typo; the any-setter is taken away here, so Jackson fails on it with the path.
 */
final class StrictModel {

  /** The kinds these manifests may use, with the one apiVersion each is served under. */
  static final Map<String, Class<? extends HasMetadata>> KINDS = Map.ofEntries(
      Map.entry("v1/Namespace", Namespace.class),
      Map.entry("v1/ServiceAccount", ServiceAccount.class),
      Map.entry("v1/ConfigMap", ConfigMap.class),
      Map.entry("v1/Secret", Secret.class),
      Map.entry("v1/Service", Service.class),
      Map.entry("apps/v1/Deployment", Deployment.class),
      Map.entry("apps/v1/DaemonSet", DaemonSet.class),
      Map.entry("apps/v1/StatefulSet", StatefulSet.class),
      Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
      Map.entry("rbac.authorization.k8s.io/v1/Role", Role.class),
      Map.entry("rbac.authorization.k8s.io/v1/RoleBinding", RoleBinding.class));

  private static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
      .registerModule(new SimpleModule().setDeserializerModifier(new BeanDeserializerModifier() {
        @Override
        public BeanDeserializerBuilder updateBuilder(DeserializationConfig config, BeanDescription description,
            BeanDeserializerBuilder builder) {
          if (description.getBeanClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            builder.setAnySetter(null);
          }
          return builder;
        }
      }));

  private StrictModel() {}

  /** @throws IllegalArgumentException naming the kind, or the path of the unknown or mistyped field */
  static HasMetadata parse(JsonNode node) {
    String key = node.path("apiVersion").asText() + "/" + node.path("kind").asText();
    Class<? extends HasMetadata> type = KINDS.get(key);
    if (type == null) {
      throw new IllegalArgumentException("unsupported apiVersion/kind " + key + "; supported: " + KINDS.keySet());
    }
    try {
      return MAPPER.treeToValue(node, type);
    } catch (Exception e) {
      throw new IllegalArgumentException(e.getMessage().lines().findFirst().orElse("") + " at "
          + pathOf(e), e);
    }
  }

  private static String pathOf(Exception e) {
    if (e instanceof com.fasterxml.jackson.databind.JsonMappingException mapping) {
      StringBuilder path = new StringBuilder();
      for (var ref : mapping.getPath()) {
        path.append(ref.getFieldName() != null ? "." + ref.getFieldName() : "[" + ref.getIndex() + "]");
      }
      return path.isEmpty() ? "(root)" : path.substring(path.charAt(0) == '.' ? 1 : 0);
    }
    return "(unknown)";
  }
}
