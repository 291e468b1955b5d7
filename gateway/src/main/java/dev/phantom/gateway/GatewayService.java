package dev.phantom.gateway;

import dev.phantom.support.PhantomService;
import dev.phantom.support.ServiceContext;
import io.vertx.core.Deployable;

public final class GatewayService implements PhantomService {

  @Override
  public String role() {
    return "gateway";
  }

  /** Last: it opens the doors once everything behind them is up. */
  @Override
  public int startOrder() {
    return 90;
  }

  @Override
  public Deployable create(ServiceContext context) {
    return new GatewayVerticle(context);
  }
}
