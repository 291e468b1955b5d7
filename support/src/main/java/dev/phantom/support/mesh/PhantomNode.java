package dev.phantom.support.mesh;

import dev.phantom.support.PhantomService;
import dev.phantom.support.ServiceContext;
import io.vertx.core.Deployable;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;

/**
 * One running node: a {@link Mesh} and the services deployed on it. Embedded runs every role found on
 * the classpath in one JVM; a clustered node runs the roles it is given.
 */
public final class PhantomNode {

  private final Mesh mesh;
  private final List<Deployable> services;

  private PhantomNode(Mesh mesh, List<Deployable> services) {
    this.mesh = mesh;
    this.services = services;
  }

  /** Every service on the classpath, in start order. */
  public static List<PhantomService> available() {
    List<PhantomService> found = new ArrayList<>();
    ServiceLoader.load(PhantomService.class).forEach(found::add);
    found.sort(Comparator.comparingInt(PhantomService::startOrder));
    return found;
  }

  public static Set<String> availableRoles() {
    Set<String> roles = new TreeSet<>();
    available().forEach(service -> roles.add(service.role()));
    return roles;
  }

  /**
   * Starts a node.
   *
   * @param roles the roles to run; empty means all of them
   * @param config one section per role, keyed by role name
   */
  public static Future<PhantomNode> start(MeshOptions options, Collection<String> roles, JsonObject config) {
    Set<String> unknown = new TreeSet<>(roles);
    unknown.removeAll(availableRoles());
    if (!unknown.isEmpty()) {
      return Future.failedFuture(new IllegalArgumentException(
          "unknown role(s) " + unknown + "; known roles: " + availableRoles()));
    }
    List<PhantomService> chosen = available().stream()
        .filter(service -> roles.isEmpty() || roles.contains(service.role()))
        .toList();
    return Mesh.start(options).compose(mesh -> deployInOrder(mesh, chosen, config)
        .recover(failure -> mesh.close().transform(closed -> Future.failedFuture(failure))));
  }

  private static Future<PhantomNode> deployInOrder(Mesh mesh, List<PhantomService> chosen, JsonObject config) {
    List<Deployable> deployed = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (PhantomService service : chosen) {
      chain = chain.compose(previous -> {
        JsonObject section = config.getJsonObject(service.role(), new JsonObject());
        Deployable verticle = service.create(new ServiceContext(section, mesh.membership(), mesh.meters()));
        deployed.add(verticle);
        return mesh.vertx().deployVerticle(verticle)
            .recover(failure -> Future.failedFuture(new IllegalStateException(
                service.role() + " failed to start: " + failure.getMessage(), failure)))
            .mapEmpty();
      });
    }
    return chain.map(done -> new PhantomNode(mesh, List.copyOf(deployed)));
  }

  public Mesh mesh() {
    return mesh;
  }

  /** The deployed verticle of the given type, if this node runs it. */
  public <T> Optional<T> service(Class<T> type) {
    return services.stream().filter(type::isInstance).map(type::cast).findFirst();
  }

  public Future<Void> close() {
    return mesh.close();
  }
}
