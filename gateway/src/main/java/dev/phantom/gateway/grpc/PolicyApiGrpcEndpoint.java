package dev.phantom.gateway.grpc;

import dev.phantom.proto.policy.v1.CompileProfileRequest;
import dev.phantom.proto.policy.v1.CompiledProfile;
import dev.phantom.proto.policy.v1.ListProfilesRequest;
import dev.phantom.proto.policy.v1.PolicyApiGrpcService;
import dev.phantom.proto.policy.v1.ProfileList;
import dev.phantom.support.HostArch;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import io.vertx.core.eventbus.EventBus;
import io.vertx.grpc.server.GrpcServer;

/**
 * {@code phantom.policy.v1.PolicyApi} on the public gRPC server: a thin proxy to the policy compiler
 * over the event bus ({@link Addresses#POLICY_COMPILE}, {@link Addresses#POLICY_LIST}). Callers are
 * admitted (key, rate) like any other call; the compiler's statuses (NOT_FOUND, INVALID_ARGUMENT with
 * {@code origin:line:column} problems) pass through unchanged.
 */
public final class PolicyApiGrpcEndpoint {

  /** Inline sources are compiled for every architecture on request: allow for that. */
  static final long COMPILE_TIMEOUT_MS = 15_000;
  static final long LIST_TIMEOUT_MS = 5_000;

  private final EventBus bus;
  private final GrpcCalls calls;

  public PolicyApiGrpcEndpoint(EventBus bus, GrpcCalls calls) {
    this.bus = bus;
    this.calls = calls;
  }

  public void bind(GrpcServer server) {
    server.callHandler(PolicyApiGrpcService.CompileProfile,
        calls.<CompileProfileRequest, CompiledProfile>unary((caller, request) -> BusRpc.request(bus,
            Addresses.POLICY_COMPILE, withArch(request), CompiledProfile.parser(), COMPILE_TIMEOUT_MS)));
    server.callHandler(PolicyApiGrpcService.ListProfiles,
        calls.<ListProfilesRequest, ProfileList>unary((caller, request) -> BusRpc.request(bus,
            Addresses.POLICY_LIST, request, ProfileList.parser(), LIST_TIMEOUT_MS)));
  }

  /** An empty arch means the gateway host's, as for runs. */
  private static CompileProfileRequest withArch(CompileProfileRequest request) {
    return request.getArch().isEmpty() ? request.toBuilder().setArch(HostArch.current()).build() : request;
  }
}
