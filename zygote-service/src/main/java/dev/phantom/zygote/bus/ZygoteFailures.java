package dev.phantom.zygote.bus;

import dev.phantom.support.PhantomException;
import dev.phantom.zygote.core.ZygoteException;
import io.vertx.grpc.common.GrpcStatus;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The status a caller sees for each way a spawn or a session call can fail on this node. */
public final class ZygoteFailures {

  private static final Logger LOG = Logger.getLogger(ZygoteFailures.class.getName());

  private ZygoteFailures() {}

  public static PhantomException toPhantom(Throwable failure) {
    if (failure instanceof PhantomException p) {
      return p;
    }
    if (failure instanceof ZygoteException z) {
      return switch (z.reason()) {
        case INVALID_REQUEST -> PhantomException.invalidArgument(z.getMessage());
        case BUBBLEWRAP_MISSING -> PhantomException.failedPrecondition(z.getMessage());
        case AT_CAPACITY, TOO_LARGE -> new PhantomException(GrpcStatus.RESOURCE_EXHAUSTED, z.getMessage());
        case SPAWN, STOPPING -> PhantomException.unavailable(z.getMessage());
      };
    }
    LOG.log(Level.SEVERE, "zygote call failed unexpectedly", failure);
    return PhantomException.internal(String.valueOf(failure));
  }
}
