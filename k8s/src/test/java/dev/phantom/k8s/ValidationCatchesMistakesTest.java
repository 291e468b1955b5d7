package dev.phantom.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The checks can fail: each case copies the base, breaks one thing the way people do, and expects the
 * validation to name it.
 */
class ValidationCatchesMistakesTest {

  static Stream<Arguments> mistakes() {
    return Stream.of(
        Arguments.of("a misspelt field", "gateway.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true",
            "Unrecognized field \"readOnlyRootFileSystem\""),
        Arguments.of("a field at the wrong level", "gateway.yaml", "  replicas: 2", "  replicas: 2\n  serviceAccountName: x",
            "Unrecognized field \"serviceAccountName\""),
        Arguments.of("a wrong type", "orchestrator.yaml", "replicas: 2", "replicas: [2]", "Deployment/phantom-orchestrator"),
        Arguments.of("a wrong apiVersion", "policy.yaml", "apiVersion: policy/v1\n", "apiVersion: policy/v1beta1\n",
            "unsupported apiVersion/kind policy/v1beta1/PodDisruptionBudget"),
        Arguments.of("a flag phantom does not have", "orchestrator.yaml", "--cluster-name=phantom", "--cluster=phantom",
            "phantom refuses the arguments: Unknown option: '--cluster=phantom'"),
        Arguments.of("a join that is not through the headless Service", "orchestrator.yaml",
            "--join=kubernetes:phantom-cluster.", "--join=kubernetes:phantom-mesh.",
            "must join through kubernetes:phantom-cluster."),
        Arguments.of("a role that does not exist", "policy.yaml", "--role=policy", "--role=policy-compiler",
            "role policy-compiler does not exist"),
        Arguments.of("an env reference nobody defines", "gateway.yaml", "$(POD_IP)", "$(MY_POD_IP)",
            "uses $(MY_POD_IP), which is not in env"),
        Arguments.of("a probe on a port the container lacks", "gateway.yaml", "httpGet: {path: /ready, port: http}",
            "httpGet: {path: /ready, port: web}", "readinessProbe: port web is not a port of the container"),
        Arguments.of("a missing ConfigMap", "policy.yaml", "configMap: {name: phantom-profiles}",
            "configMap: {name: phantom-profile}", "needs ConfigMap phantom-profile"),
        Arguments.of("no memory limit", "orchestrator.yaml", "limits: {cpu: \"1\", memory: 768Mi}", "limits: {cpu: \"1\"}",
            "needs both a request and a limit for memory"),
        Arguments.of("a combination the API server refuses", "zygote.yaml", "allowPrivilegeEscalation: true",
            "allowPrivilegeEscalation: false", "allowPrivilegeEscalation=false cannot be combined with SYS_ADMIN"),
        Arguments.of("privileged instead of capabilities", "zygote.yaml", "privileged: false", "privileged: true",
            "privileged; grant the capabilities"),
        Arguments.of("a pod outside the mesh", "orchestrator.yaml",
            "app.kubernetes.io/part-of: phantom, phantom.dev/mesh: member}", "app.kubernetes.io/part-of: phantom}",
            "cannot join the mesh"),
        Arguments.of("a budget that blocks drains", "orchestrator.yaml", "  minAvailable: 1", "  minAvailable: 2",
            "minAvailable 2 with 2 replicas of Deployment/phantom-orchestrator blocks every node drain"),
        Arguments.of("a resource file that is not there", "kustomization.yaml", "  - policy.yaml", "  - policies.yaml",
            "resource policies.yaml does not exist"),
        Arguments.of("a kustomize feature the renderer would skip", "kustomization.yaml", "resources:",
            "commonLabels: {a: b}\nresources:", "'commonLabels' is not supported"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("mistakes")
  void theMistakeIsNamed(String what, String file, String from, String to, String expected, @TempDir Path dir)
      throws IOException {
    try (var files = Files.list(Repo.K8S.resolve("base"))) {
      for (Path f : files.toList()) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
    Path target = dir.resolve(file);
    String text = Files.readString(target);
    assertThat(text).as("the case must change something").contains(from);
    Files.writeString(target, text.replace(from, to));
    assertThat(Validation.of(dir).problems()).as(what).anySatisfy(p -> assertThat(p).contains(expected));
  }

  @ParameterizedTest(name = "a patch of {0}")
  @MethodSource("badPatches")
  void aPatchMustTargetAResourceOfTheBase(String what, String patch, String expected, @TempDir Path dir)
      throws IOException {
    Files.writeString(dir.resolve("kustomization.yaml"), """
        apiVersion: kustomize.config.k8s.io/v1beta1
        kind: Kustomization
        resources: [%s]
        patches:
          - path: patch.yaml
        """.formatted(Repo.K8S.resolve("base").toString()));
    Files.writeString(dir.resolve("patch.yaml"), patch);
    assertThat(Validation.of(dir).problems()).anySatisfy(p -> assertThat(p).contains(expected));
  }

  static Stream<Arguments> badPatches() {
    return Stream.of(
        Arguments.of("a misspelt name", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: phantom-gatway}\n"
            + "spec: {replicas: 1}\n", "targets Deployment/phantom-gatway, which no resource is"),
        Arguments.of("the wrong kind", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: phantom-zygote}\n"
            + "spec: {replicas: 1}\n", "targets Deployment/phantom-zygote, which no resource is"),
        Arguments.of("an unknown field", "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: phantom-zygote}\n"
            + "spec: {template: {spec: {nodeSelectors: {a: b}}}}\n", "Unrecognized field \"nodeSelectors\""));
  }
}
