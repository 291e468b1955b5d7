package dev.phantom.zygote.bus;

import dev.phantom.proto.zygote.v1.GetPoolsRequest;
import dev.phantom.proto.zygote.v1.PoolSize;
import dev.phantom.proto.zygote.v1.PoolState;
import dev.phantom.proto.zygote.v1.PoolStates;
import dev.phantom.proto.zygote.v1.SetPoolSizesRequest;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.zygote.core.SlotAgent;
import dev.phantom.zygote.pool.PoolException;
import dev.phantom.zygote.pool.WarmPools;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.grpc.common.GrpcStatus;
import java.util.List;

/** Serves a node's warm pools on the bus: their state, and resizing (operators, the orchestrator). */
public final class PoolBusEndpoint {

  private final EventBus bus;
  private final String nodeId;
  private final WarmPools pools;
  private List<MessageConsumer<Buffer>> consumers = List.of();

  public PoolBusEndpoint(EventBus bus, String nodeId, WarmPools pools) {
    this.bus = bus;
    this.nodeId = nodeId;
    this.pools = pools;
  }

  public Future<Void> register() {
    MessageConsumer<Buffer> set = BusRpc.serve(bus, Addresses.zygotePoolsSet(nodeId), SetPoolSizesRequest.parser(),
        request -> Future.succeededFuture(set(request)));
    MessageConsumer<Buffer> get = BusRpc.serve(bus, Addresses.zygotePoolsGet(nodeId), GetPoolsRequest.parser(),
        request -> Future.succeededFuture(states()));
    consumers = List.of(set, get);
    return Future.all(set.completion(), get.completion()).mapEmpty();
  }

  public Future<Void> unregister() {
    return Future.all(consumers.stream().map(MessageConsumer::unregister).toList()).mapEmpty();
  }

  /** Applies every size or none: each is checked first, so one refused size leaves all pools as they were. */
  PoolStates set(SetPoolSizesRequest request) {
    for (PoolSize size : request.getSizesList()) {
      if (size.getProfile().isBlank()) {
        throw PhantomException.invalidArgument("pool size without a profile");
      }
      agent(size);
    }
    try {
      for (PoolSize size : request.getSizesList()) {
        pools.check(size.getProfile(), size.getSize(), agent(size));
      }
      for (PoolSize size : request.getSizesList()) {
        pools.resize(size.getProfile(), size.getSize(), agent(size));
      }
    } catch (PoolException e) {
      throw e.reason() == PoolException.Reason.TOO_LARGE
          ? new PhantomException(GrpcStatus.RESOURCE_EXHAUSTED, e.getMessage())
          : PhantomException.invalidArgument(e.getMessage());
    }
    return states();
  }

  PoolStates states() {
    PoolStates.Builder out = PoolStates.newBuilder().setNodeId(nodeId);
    for (WarmPools.PoolState state : pools.states()) {
      out.addPools(PoolState.newBuilder()
          .setProfile(state.profile())
          .setAgent(state.agent().name().toLowerCase())
          .setTarget(state.target())
          .setIdle(state.idle())
          .setCeiling(state.ceiling())
          .setSlotBytes(state.slotBytes())
          .setHits(state.hits())
          .setLastFailure(state.lastFailure()));
    }
    return out.build();
  }

  /** The agent a pool size names, or the one its profile's name suggests. */
  static SlotAgent agent(PoolSize size) {
    if (size.getAgent().isEmpty()) {
      return SlotAgent.forProfile(size.getProfile());
    }
    return SlotAgent.named(size.getAgent()).orElseThrow(() -> PhantomException.invalidArgument("unknown pool agent '"
        + size.getAgent() + "' for profile " + size.getProfile() + "; known agents: shell, python, node"));
  }
}
