package dev.phantom.policy;

import dev.phantom.policy.bus.PolicyBusEndpoint;
import dev.phantom.policy.core.Syscalls;
import dev.phantom.policy.yaml.ProfileLoader;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.util.logging.Logger;

/**
 * Wiring of the policy role: reads config, loads and compiles every profile (blocking, once, on a
 * worker thread), then serves the event-bus addresses. Any config, profile or compile problem
 * fails the start with all problems listed.
 */
public final class PolicyCompilerVerticle extends VerticleBase {

  private static final Logger LOG = Logger.getLogger(PolicyCompilerVerticle.class.getName());

  private final JsonObject config;

  public PolicyCompilerVerticle(JsonObject config) {
    this.config = config == null ? new JsonObject() : config;
  }

  @Override
  public Future<?> start() {
    PolicyCompilerConfig cfg;
    try {
      cfg = PolicyCompilerConfig.from(config);
    } catch (IllegalArgumentException e) {
      return Future.failedFuture(e);
    }
    return vertx.executeBlocking(() -> {
          Syscalls syscalls = ClasspathSyscalls.load();
          return PolicyCatalog.compile(
              ProfileLoader.library(PolicyCompilerVerticle.class.getClassLoader(), cfg.profileDirs(), syscalls), syscalls);
        })
        .compose(catalog -> {
          PolicyBusEndpoint endpoint = new PolicyBusEndpoint(catalog);
          return endpoint.register(vertx.eventBus())
              .onSuccess(v -> LOG.info("policy compiler serving profiles " + catalog.names()));
        });
  }
}
