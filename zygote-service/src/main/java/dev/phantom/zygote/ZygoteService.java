package dev.phantom.zygote;

import dev.phantom.support.PhantomService;
import dev.phantom.support.ServiceContext;
import io.vertx.core.Deployable;

/** The zygote role: runs on every node that spawns sandboxes. */
public final class ZygoteService implements PhantomService {

  @Override
  public String role() {
    return "zygote";
  }

  /** After the policy compiler (which zygotes call) and before the orchestrator and gateway. */
  @Override
  public int startOrder() {
    return 20;
  }

  @Override
  public Deployable create(ServiceContext context) {
    return new ZygoteVerticle(context);
  }
}
