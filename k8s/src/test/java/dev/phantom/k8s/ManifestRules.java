package dev.phantom.k8s;

import dev.phantom.gateway.cli.PhantomCli;
import dev.phantom.support.mesh.PhantomNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * What the API server's schema cannot see: references between objects, the CLI behind each container,
 * and the rules Kubernetes enforces only at admission. Every problem is listed, not only the first.
 */
final class ManifestRules {

  /** Created by the platform team from `phantom keys create` (docs/deploy-kubernetes.md), never committed. */
  static final Set<String> EXTERNAL_SECRETS = Set.of("phantom-api-keys");
  static final String PENDING = "phantom.dev/pending";
  static final String CLUSTER_SERVICE = "phantom-cluster";
  private static final Pattern ENV_REF = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

  /** A workload reduced to what the rules need. */
  record Workload(HasMetadata object, PodTemplateSpec template, Map<String, String> selector, int replicas,
      Set<String> claimTemplates) {
    String id() {
      return object.getKind() + "/" + object.getMetadata().getName();
    }

    boolean pending() {
      return replicas == 0 && object.getMetadata().getAnnotations() != null
          && object.getMetadata().getAnnotations().containsKey(PENDING);
    }
  }

  private final List<HasMetadata> objects;
  private final List<Workload> workloads = new ArrayList<>();
  private final List<String> problems = new ArrayList<>();

  private ManifestRules(List<HasMetadata> objects) {
    this.objects = objects;
    for (HasMetadata o : objects) {
      switch (o) {
        case Deployment d -> workloads.add(new Workload(d, d.getSpec().getTemplate(),
            d.getSpec().getSelector().getMatchLabels(), Optional.ofNullable(d.getSpec().getReplicas()).orElse(1), Set.of()));
        case StatefulSet s -> {
          Set<String> claims = new HashSet<>();
          Optional.ofNullable(s.getSpec().getVolumeClaimTemplates()).orElse(List.of())
              .forEach(c -> claims.add(c.getMetadata().getName()));
          workloads.add(new Workload(s, s.getSpec().getTemplate(), s.getSpec().getSelector().getMatchLabels(),
              Optional.ofNullable(s.getSpec().getReplicas()).orElse(1), claims));
        }
        case DaemonSet ds -> workloads.add(new Workload(ds, ds.getSpec().getTemplate(),
            ds.getSpec().getSelector().getMatchLabels(), -1, Set.of()));
        default -> { }
      }
    }
  }

  static List<String> check(List<HasMetadata> objects) {
    ManifestRules rules = new ManifestRules(objects);
    rules.uniqueNames();
    rules.workloads.forEach(rules::workload);
    objects.stream().filter(Service.class::isInstance).map(Service.class::cast).forEach(rules::service);
    objects.stream().filter(PodDisruptionBudget.class::isInstance).map(PodDisruptionBudget.class::cast)
        .forEach(rules::budget);
    rules.cluster();
    return rules.problems;
  }

  private void uniqueNames() {
    Set<String> seen = new HashSet<>();
    for (HasMetadata o : objects) {
      if (o.getMetadata() == null || o.getMetadata().getName() == null || o.getMetadata().getName().isBlank()) {
        problems.add(o.getKind() + " without metadata.name");
      } else if (!seen.add(o.getKind() + "/" + o.getMetadata().getName())) {
        problems.add("two " + o.getKind() + " objects named " + o.getMetadata().getName());
      }
    }
  }

  private void workload(Workload w) {
    Map<String, String> labels = Optional.ofNullable(w.template().getMetadata().getLabels()).orElse(Map.of());
    if (w.selector() == null || w.selector().isEmpty() || !labels.entrySet().containsAll(w.selector().entrySet())) {
      problems.add(w.id() + ": selector " + w.selector() + " does not match the pod labels " + labels);
    }
    var spec = w.template().getSpec();
    if (spec.getServiceAccountName() == null || find(ServiceAccount.class, spec.getServiceAccountName()).isEmpty()) {
      problems.add(w.id() + ": serviceAccountName " + spec.getServiceAccountName() + " is not defined");
    }
    if (!Boolean.FALSE.equals(spec.getAutomountServiceAccountToken())) {
      problems.add(w.id() + ": mounts a service-account token, but no role calls the Kubernetes API");
    }
    Set<String> volumes = new HashSet<>(w.claimTemplates());
    for (Volume v : Optional.ofNullable(spec.getVolumes()).orElse(List.of())) {
      volumes.add(v.getName());
      if (v.getConfigMap() != null && find(ConfigMap.class, v.getConfigMap().getName()).isEmpty()) {
        problems.add(w.id() + ": volume " + v.getName() + " needs ConfigMap " + v.getConfigMap().getName());
      }
      if (v.getSecret() != null && find(Secret.class, v.getSecret().getSecretName()).isEmpty()
          && !EXTERNAL_SECRETS.contains(v.getSecret().getSecretName())) {
        problems.add(w.id() + ": volume " + v.getName() + " needs Secret " + v.getSecret().getSecretName());
      }
    }
    for (Container c : spec.getContainers()) {
      String where = w.id() + " container " + c.getName();
      if (c.getImage() == null || !c.getImage().contains(":")) {
        problems.add(where + ": image must name a tag: " + c.getImage());
      }
      resources(where, c);
      c.getVolumeMounts().stream().filter(m -> !volumes.contains(m.getName()))
          .forEach(m -> problems.add(where + ": mounts undefined volume " + m.getName()));
      Set<String> portNames = new HashSet<>();
      c.getPorts().forEach(p -> portNames.add(p.getName()));
      probe(where + " readinessProbe", c.getReadinessProbe(), c);
      probe(where + " livenessProbe", c.getLivenessProbe(), c);
      security(where, c);
      cli(w, where, c);
      Map<String, String> annotations = Optional.ofNullable(w.template().getMetadata().getAnnotations()).orElse(Map.of());
      if ("true".equals(annotations.get("prometheus.io/scrape"))) {
        String port = annotations.get("prometheus.io/port");
        if (c.getPorts().stream().noneMatch(p -> String.valueOf(p.getContainerPort()).equals(port))) {
          problems.add(where + ": prometheus.io/port " + port + " is not a container port");
        }
      }
    }
  }

  private void resources(String where, Container c) {
    var r = c.getResources();
    for (String kind : List.of("cpu", "memory")) {
      Quantity request = r == null || r.getRequests() == null ? null : r.getRequests().get(kind);
      Quantity limit = r == null || r.getLimits() == null ? null : r.getLimits().get(kind);
      if (request == null || limit == null) {
        problems.add(where + ": needs both a request and a limit for " + kind);
      } else if (request.getNumericalAmount().compareTo(limit.getNumericalAmount()) > 0) {
        problems.add(where + ": " + kind + " request " + request + " exceeds its limit " + limit);
      }
    }
  }

  private void probe(String where, Probe probe, Container c) {
    if (probe == null || probe.getHttpGet() == null) {
      return;
    }
    IntOrString port = probe.getHttpGet().getPort();
    boolean known = port.getStrVal() != null
        ? c.getPorts().stream().anyMatch(p -> port.getStrVal().equals(p.getName()))
        : c.getPorts().stream().anyMatch(p -> Objects.equals(port.getIntVal(), p.getContainerPort()));
    if (!known) {
      problems.add(where + ": port " + (port.getStrVal() != null ? port.getStrVal() : port.getIntVal())
          + " is not a port of the container");
    }
  }

  private void security(String where, Container c) {
    var sc = c.getSecurityContext();
    if (sc == null) {
      problems.add(where + ": no securityContext");
      return;
    }
    List<String> added = sc.getCapabilities() == null || sc.getCapabilities().getAdd() == null
        ? List.of() : sc.getCapabilities().getAdd();
    if (Boolean.TRUE.equals(sc.getPrivileged())) {
      problems.add(where + ": privileged; grant the capabilities it needs instead");
    }
    // The API server refuses this combination; a manifest with it is never admitted.
    if (Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation()) && added.contains("SYS_ADMIN")) {
      problems.add(where + ": allowPrivilegeEscalation=false cannot be combined with SYS_ADMIN");
    }
    if (sc.getCapabilities() == null || sc.getCapabilities().getDrop() == null
        || !sc.getCapabilities().getDrop().contains("ALL")) {
      problems.add(where + ": must drop ALL capabilities and add back only what it needs");
    }
  }

  private void cli(Workload w, String where, Container c) {
    Set<String> env = new HashSet<>();
    c.getEnv().stream().map(EnvVar::getName).forEach(env::add);
    List<String> args = new ArrayList<>();
    for (String arg : c.getArgs()) {
      Matcher m = ENV_REF.matcher(arg);
      while (m.find()) {
        if (!env.contains(m.group(1))) {
          problems.add(where + ": argument " + arg + " uses $(" + m.group(1) + "), which is not in env");
        }
      }
      args.add(m.replaceAll("x"));
    }
    if (args.isEmpty() || !args.get(0).equals("node")) {
      problems.add(where + ": expected 'phantom node ...' arguments, got " + args);
      return;
    }
    CommandLine.ParseResult parsed;
    try {
      parsed = new CommandLine(new PhantomCli()).parseArgs(args.toArray(String[]::new));
    } catch (CommandLine.ParameterException e) {
      problems.add(where + ": phantom refuses the arguments: " + e.getMessage());
      return;
    }
    List<String> roles = parsed.subcommand().matchedOptionValue("--role", List.of());
    Set<String> known = PhantomNode.availableRoles();
    for (String role : roles) {
      if (!known.contains(role) && !w.pending()) {
        problems.add(where + ": role " + role + " does not exist (known: " + known + "); scale to 0 with the "
            + PENDING + " annotation until it does");
      }
    }
    if (roles.size() != 1) {
      problems.add(where + ": runs roles " + roles + "; each workload runs exactly one");
    }
    String join = parsed.subcommand().matchedOptionValue("--join", List.<String>of()).stream().findFirst().orElse("");
    if (!join.startsWith("kubernetes:" + CLUSTER_SERVICE + ".")) {
      problems.add(where + ": must join through kubernetes:" + CLUSTER_SERVICE + ".<namespace>..., not '" + join + "'");
    }
  }

  private void service(Service s) {
    Map<String, String> selector = s.getSpec().getSelector();
    String id = "Service/" + s.getMetadata().getName();
    List<Workload> selected = workloads.stream().filter(w -> matches(selector, w)).toList();
    if (selector == null || selector.isEmpty() || selected.isEmpty()) {
      problems.add(id + ": selector " + selector + " selects no workload");
      return;
    }
    for (var port : s.getSpec().getPorts()) {
      IntOrString target = port.getTargetPort();
      for (Workload w : selected) {
        boolean found = w.template().getSpec().getContainers().stream().flatMap(c -> c.getPorts().stream())
            .anyMatch(p -> target == null ? Objects.equals(p.getContainerPort(), port.getPort())
                : target.getStrVal() != null ? target.getStrVal().equals(p.getName())
                : Objects.equals(target.getIntVal(), p.getContainerPort()));
        if (!found) {
          problems.add(id + ": port " + port.getName() + " targets " + target + ", which " + w.id() + " does not expose");
        }
      }
    }
  }

  private void budget(PodDisruptionBudget b) {
    String id = "PodDisruptionBudget/" + b.getMetadata().getName();
    var spec = b.getSpec();
    if ((spec.getMinAvailable() == null) == (spec.getMaxUnavailable() == null)) {
      problems.add(id + ": needs exactly one of minAvailable and maxUnavailable");
    }
    List<Workload> selected = workloads.stream()
        .filter(w -> matches(spec.getSelector().getMatchLabels(), w)).toList();
    if (selected.isEmpty()) {
      problems.add(id + ": selects no workload");
    }
    for (Workload w : selected) {
      IntOrString min = spec.getMinAvailable();
      if (min != null && min.getIntVal() != null && w.replicas() >= 0 && w.replicas() > 0
          && min.getIntVal() >= w.replicas()) {
        problems.add(id + ": minAvailable " + min.getIntVal() + " with " + w.replicas() + " replicas of " + w.id()
            + " blocks every node drain");
      }
    }
  }

  /** Every member pod is behind the headless Service and listens where the others look for it. */
  private void cluster() {
    Optional<Service> svc = find(Service.class, CLUSTER_SERVICE);
    if (svc.isEmpty()) {
      problems.add("Service/" + CLUSTER_SERVICE + " is missing");
      return;
    }
    if (!"None".equals(svc.get().getSpec().getClusterIP())
        || !Boolean.TRUE.equals(svc.get().getSpec().getPublishNotReadyAddresses())) {
      problems.add("Service/" + CLUSTER_SERVICE + ": must be headless (clusterIP None) and publish not-ready addresses");
    }
    for (Workload w : workloads) {
      if (!matches(svc.get().getSpec().getSelector(), w)) {
        problems.add(w.id() + ": pods are not behind Service/" + CLUSTER_SERVICE + ", so they cannot join the mesh");
      }
      boolean listens = w.template().getSpec().getContainers().stream().flatMap(c -> c.getPorts().stream())
          .map(ContainerPort::getContainerPort).anyMatch(p -> p == 5701);
      if (!listens) {
        problems.add(w.id() + ": declares no container port 5701 (Hazelcast)");
      }
    }
  }

  private boolean matches(Map<String, String> selector, Workload w) {
    Map<String, String> labels = Optional.ofNullable(w.template().getMetadata().getLabels()).orElse(Map.of());
    return selector != null && !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
  }

  private <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
    return objects.stream().filter(type::isInstance).map(type::cast)
        .filter(o -> o.getMetadata().getName().equals(name)).findFirst();
  }
}
