package dev.phantom.support;

import io.vertx.core.Deployable;

/**
 * One service of the mesh (gateway, orchestrator, policy compiler, zygote, fragment store),
 * found with {@link java.util.ServiceLoader} so that the launcher never compiles against a service.
 * Each service module lists its implementation in
 * {@code META-INF/services/dev.phantom.support.PhantomService}.
 */
public interface PhantomService {

  /** The role name used on the command line: {@code phantom node --role <role>}. */
  String role();

  /** Order in which embedded roles start; lower first. Servers that others call start early. */
  default int startOrder() {
    return 100;
  }

  /** A fresh verticle for this role. Config problems should fail the verticle's start, listing every one. */
  Deployable create(ServiceContext context);
}
