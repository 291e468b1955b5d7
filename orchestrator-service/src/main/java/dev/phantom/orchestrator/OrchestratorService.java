package dev.phantom.orchestrator;

import dev.phantom.support.PhantomService;
import dev.phantom.support.ServiceContext;
import io.vertx.core.Deployable;

public final class OrchestratorService implements PhantomService {

  @Override
  public String role() {
    return "orchestrator";
  }

  /** First, so that the zygote's report at its own start is heard. */
  @Override
  public int startOrder() {
    return 5;
  }

  @Override
  public Deployable create(ServiceContext context) {
    return new OrchestratorVerticle(context);
  }
}
