package dev.phantom.gateway;

import dev.phantom.proto.policy.v1.CompileProfileRequest;
import dev.phantom.proto.policy.v1.CompiledProfile;
import dev.phantom.proto.policy.v1.ListProfilesRequest;
import dev.phantom.proto.policy.v1.ProfileList;
import dev.phantom.support.HostArch;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The gateway's view of the policy compiler's profiles, cached briefly. Owned by the gateway
 * verticle's event loop.
 */
final class ProfileDirectory {

  /** Profiles are looked up again after this long, so edited profiles are picked up. */
  private static final long CACHE_MS = 10_000;
  private static final long TIMEOUT_MS = 5_000;

  private final EventBus bus;
  private final Map<String, Cached> profiles = new HashMap<>();

  private record Cached(Future<CompiledProfile> profile, long expiresAtMs) {}

  ProfileDirectory(EventBus bus) {
    this.bus = bus;
  }

  /** The compiled profile; fails with NOT_FOUND (known ones listed) when there is none by that name. */
  Future<CompiledProfile> get(String name) {
    long now = System.currentTimeMillis();
    Cached cached = profiles.get(name);
    if (cached != null && cached.expiresAtMs() > now && !cached.profile().failed()) {
      return cached.profile();
    }
    CompileProfileRequest request = CompileProfileRequest.newBuilder()
        .setProfile(name).setArch(HostArch.current()).build();
    Future<CompiledProfile> lookup = BusRpc.request(bus, Addresses.POLICY_COMPILE, request,
        CompiledProfile.parser(), TIMEOUT_MS);
    profiles.put(name, new Cached(lookup, now + CACHE_MS));
    lookup.onFailure(failure -> profiles.remove(name));
    return lookup;
  }

  /** Every profile, in the policy compiler's order. */
  Future<List<CompiledProfile>> all() {
    return BusRpc.request(bus, Addresses.POLICY_LIST, ListProfilesRequest.getDefaultInstance(),
            ProfileList.parser(), TIMEOUT_MS)
        .compose(list -> Future.all(list.getNamesList().stream().map(this::get).toList())
            .map(all -> all.<CompiledProfile>list()));
  }
}
