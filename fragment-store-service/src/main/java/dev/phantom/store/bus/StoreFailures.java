package dev.phantom.store.bus;

import dev.phantom.store.core.StoreException;
import dev.phantom.support.PhantomException;
import io.vertx.grpc.common.GrpcStatus;
import java.util.logging.Level;
import java.util.logging.Logger;

/** The one mapping from store failures to the statuses callers see. */
public final class StoreFailures {

  private static final Logger LOG = Logger.getLogger(StoreFailures.class.getName());

  private StoreFailures() {}

  public static PhantomException toPhantom(Throwable failure) {
    if (failure instanceof PhantomException phantom) {
      return phantom;
    }
    if (failure instanceof StoreException e) {
      GrpcStatus status = switch (e.reason()) {
        case CORRUPT -> GrpcStatus.DATA_LOSS;
        case NOT_FOUND -> GrpcStatus.NOT_FOUND;
        case DISK_FULL -> GrpcStatus.RESOURCE_EXHAUSTED;
        case INVALID -> GrpcStatus.INVALID_ARGUMENT;
        case INCOMPLETE, LOCKED -> GrpcStatus.FAILED_PRECONDITION;
        case IO -> GrpcStatus.INTERNAL;
      };
      if (status == GrpcStatus.INTERNAL) {
        LOG.log(Level.SEVERE, "store I/O failed", e);
      }
      return new PhantomException(status, e.getMessage());
    }
    LOG.log(Level.SEVERE, "store call failed unexpectedly", failure);
    return PhantomException.internal("internal error in the store: " + failure);
  }
}
