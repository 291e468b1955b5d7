package dev.phantom.support;

import dev.phantom.support.mesh.Membership;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.json.JsonObject;

/**
 * What a service gets from the node that hosts it.
 *
 * @param config this role's section of the node configuration (empty object when none was given)
 * @param membership who else is in the mesh; a single member when embedded
 * @param meters the node's registry; meters are named {@code phantom.*}
 */
public record ServiceContext(JsonObject config, Membership membership, MeterRegistry meters) {

  public ServiceContext {
    config = config == null ? new JsonObject() : config;
  }

  /** The mesh-wide id of the node this service runs on. */
  public String nodeId() {
    return membership.selfId();
  }
}
