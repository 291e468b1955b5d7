package dev.phantom.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.policy.ClasspathSyscalls;
import dev.phantom.policy.PolicyCatalog;
import dev.phantom.policy.yaml.ProfileLoader;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every manifest, rendered as the base and as each overlay, checked offline (no cluster here). */
class ManifestsTest {

  /** Renders, parses strictly and checks; fails with every problem listed. */
  static List<HasMetadata> valid(Path dir) throws IOException {
    Validation v = Validation.of(dir);
    assertThat(v.problems()).as("problems in %s", dir).isEmpty();
    return v.objects();
  }

  @ParameterizedTest
  @ValueSource(strings = {"base", "overlays/dev", "overlays/prod"})
  void everyRenderingIsValid(String dir) throws IOException {
    List<HasMetadata> objects = valid(Repo.K8S.resolve(dir));
    assertThat(objects).extracting(HasMetadata::getKind)
        .contains("Deployment", "DaemonSet", "StatefulSet", "Service", "ConfigMap", "PodDisruptionBudget");
  }

  @ParameterizedTest
  @ValueSource(strings = {"dev", "prod"})
  void overlaysPutEverythingInTheirOwnNamespace(String overlay) throws IOException {
    List<HasMetadata> objects = valid(Repo.K8S.resolve("overlays").resolve(overlay));
    String ns = Kustomization.YAML.readTree(Repo.K8S.resolve("overlays/" + overlay + "/kustomization.yaml").toFile())
        .path("namespace").asText();
    assertThat(objects).filteredOn(Namespace.class::isInstance).extracting(o -> o.getMetadata().getName())
        .containsExactly(ns);
    assertThat(objects).filteredOn(o -> !(o instanceof Namespace))
        .allSatisfy(o -> assertThat(o.getMetadata().getNamespace()).isEqualTo(ns));
  }

  @Test
  void theGatewayServesGrpcAndHttpAndIsReadyOnlyThroughReady() throws IOException {
    List<HasMetadata> objects = valid(Repo.K8S.resolve("base"));
    Service svc = find(objects, Service.class, "phantom-gateway");
    assertThat(svc.getSpec().getPorts()).extracting(ServicePort::getPort).containsExactlyInAnyOrder(50051, 8080);
    Container gateway = find(objects, Deployment.class, "phantom-gateway").getSpec().getTemplate().getSpec()
        .getContainers().get(0);
    assertThat(gateway.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/ready");
  }

  @Test
  void overlaysSetTheImageAndProdKeepsZygotesOnSandboxNodes() throws IOException {
    List<HasMetadata> dev = valid(Repo.K8S.resolve("overlays/dev"));
    assertThat(find(dev, DaemonSet.class, "phantom-zygote").getSpec().getTemplate().getSpec().getContainers().get(0)
        .getImage()).isEqualTo("phantom-fragment:dev");
    List<HasMetadata> prod = valid(Repo.K8S.resolve("overlays/prod"));
    var zygote = find(prod, DaemonSet.class, "phantom-zygote").getSpec().getTemplate().getSpec();
    assertThat(zygote.getContainers().get(0).getImage()).isEqualTo("registry.example.com/phantom/phantom-fragment:0.1.0");
    assertThat(zygote.getNodeSelector()).containsEntry("phantom.dev/sandbox-node", "true");
    assertThat(zygote.getContainers().get(0).getResources().getLimits().get("memory").toString()).isEqualTo("24Gi");
    assertThat(find(prod, Deployment.class, "phantom-gateway").getSpec().getReplicas()).isEqualTo(3);
  }

  @Test
  void everyCapabilityAndSecuritySettingOfTheZygoteIsExplainedInTheGuide() throws IOException {
    String guide = Files.readString(Repo.ROOT.resolve("docs/deploy-kubernetes.md"));
    var sc = find(valid(Repo.K8S.resolve("base")), DaemonSet.class, "phantom-zygote").getSpec().getTemplate()
        .getSpec().getContainers().get(0).getSecurityContext();
    List<String> settings = new ArrayList<>(sc.getCapabilities().getAdd());
    settings.addAll(List.of("seccompProfile", "appArmorProfile", "allowPrivilegeEscalation", "runAsUser",
        "/sys/fs/cgroup", "subset=pid", "/run/phantom"));
    assertThat(settings).allSatisfy(s -> assertThat(guide).as("docs/deploy-kubernetes.md explains " + s)
        .contains("`" + s));
  }

  @Test
  void theProfilesConfigMapCompiles(@TempDir Path dir) throws IOException {
    ConfigMap profiles = find(valid(Repo.K8S.resolve("base")), ConfigMap.class, "phantom-profiles");
    for (Map.Entry<String, String> file : profiles.getData().entrySet()) {
      Files.writeString(dir.resolve(file.getKey()), file.getValue());
    }
    var syscalls = ClasspathSyscalls.load();
    PolicyCatalog catalog = PolicyCatalog.compile(
        ProfileLoader.library(getClass().getClassLoader(), List.of(dir), syscalls), syscalls);
    assertThat(new TreeSet<>(catalog.names())).containsAll(profiles.getData().keySet().stream()
        .map(name -> name.substring(0, name.length() - ".yaml".length())).toList());
  }

  private static <T extends HasMetadata> T find(List<HasMetadata> objects, Class<T> type, String name) {
    return objects.stream().filter(type::isInstance).map(type::cast)
        .filter(o -> o.getMetadata().getName().equals(name)).findFirst().orElseThrow();
  }
}
