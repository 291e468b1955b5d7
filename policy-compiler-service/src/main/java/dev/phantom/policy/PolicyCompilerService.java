package dev.phantom.policy;

import dev.phantom.support.PhantomService;
import dev.phantom.support.ServiceContext;
import io.vertx.core.Deployable;

/** The "policy" role: compiles sandbox profiles for zygote nodes. Starts early; zygotes need it. */
public final class PolicyCompilerService implements PhantomService {

  public static final String ROLE = "policy";

  @Override
  public String role() {
    return ROLE;
  }

  @Override
  public int startOrder() {
    return 10;
  }

  @Override
  public Deployable create(ServiceContext context) {
    return new PolicyCompilerVerticle(context.config());
  }
}
