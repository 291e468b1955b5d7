package dev.phantom.support.bus;

import dev.phantom.support.PhantomException;
import io.vertx.grpc.common.GrpcStatus;

/**
 * A zygote's refusal of a spawn whose image it is still materializing (its first use on that node can
 * outlast the gateway's spawn grace): UNAVAILABLE with {@link #MARK} in the message. Nothing ran, so the
 * gateway sends the run again rather than failing it; the node's build carries on meanwhile.
 */
public final class ImagePreparing {

  /** In the refusal's message, followed by the node's id. */
  public static final String MARK = "is being prepared on node";

  private ImagePreparing() {}

  public static boolean is(Throwable failure) {
    return failure instanceof PhantomException p && p.status() == GrpcStatus.UNAVAILABLE
        && p.getMessage() != null && p.getMessage().contains(MARK);
  }
}
