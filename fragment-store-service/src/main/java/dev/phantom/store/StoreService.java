package dev.phantom.store;

import dev.phantom.support.PhantomService;
import dev.phantom.support.ServiceContext;
import io.vertx.core.Deployable;

/** The store role: one per mesh, on the node that holds the data directory. */
public final class StoreService implements PhantomService {

  @Override
  public String role() {
    return "store";
  }

  /** Early: zygote nodes and gateways call it; it calls nobody. */
  @Override
  public int startOrder() {
    return 15;
  }

  @Override
  public Deployable create(ServiceContext context) {
    return new StoreVerticle(context);
  }
}
