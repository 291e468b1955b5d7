package dev.phantom.policy.bus;

import com.google.protobuf.ByteString;
import dev.phantom.policy.ClasspathSyscalls;
import dev.phantom.policy.PolicyCatalog;
import dev.phantom.policy.core.BpfAnalysis;
import dev.phantom.policy.core.Disassembler;
import dev.phantom.policy.core.ProfileDigest;
import dev.phantom.policy.yaml.ProfileException;
import dev.phantom.policy.yaml.ProfileLibrary;
import dev.phantom.proto.policy.v1.ProfileInfo;
import dev.phantom.policy.core.Arch;
import dev.phantom.policy.core.CompiledPolicy;
import dev.phantom.policy.core.MountSpec;
import dev.phantom.policy.core.Profile;
import dev.phantom.proto.policy.v1.CompileProfileRequest;
import dev.phantom.proto.policy.v1.CompiledProfile;
import dev.phantom.proto.policy.v1.Limits;
import dev.phantom.proto.policy.v1.ListProfilesRequest;
import dev.phantom.proto.policy.v1.Mount;
import dev.phantom.proto.policy.v1.NetworkMode;
import dev.phantom.proto.policy.v1.ProfileList;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serves {@link Addresses#POLICY_COMPILE} and {@link Addresses#POLICY_LIST}: maps requests to the
 * catalog and compiled policies to {@code phantom.policy.v1} messages, built once per
 * (profile, arch) and then reused. Runs on the verticle's event loop; nothing here blocks.
 */
public final class PolicyBusEndpoint {

  private final PolicyCatalog catalog;
  private final Map<String, CompiledProfile> replies = new ConcurrentHashMap<>();
  private final ProfileList list;

  /** Inline sources larger than this are refused (INVALID_ARGUMENT). */
  public static final int MAX_INLINE_BYTES = 256 * 1024;

  public PolicyBusEndpoint(PolicyCatalog catalog) {
    this.catalog = catalog;
    ProfileList.Builder list = ProfileList.newBuilder().addAllNames(catalog.names());
    for (String name : catalog.names()) {
      ProfileLibrary.Entry e = catalog.entry(name).orElseThrow();
      list.addProfiles(ProfileInfo.newBuilder().setName(name).setDescription(e.profile().description())
          .setExtends(e.parent() == null ? "" : e.parent()).addAllWarnings(e.warnings()));
    }
    this.list = list.build();
  }

  /** Registers both consumers; complete when they are registered. */
  public Future<Void> register(EventBus bus) {
    MessageConsumer<?> compile = BusRpc.serve(bus, Addresses.POLICY_COMPILE, CompileProfileRequest.parser(),
        request -> Future.succeededFuture(compile(request)));
    MessageConsumer<?> listing = BusRpc.serve(bus, Addresses.POLICY_LIST, ListProfilesRequest.parser(),
        request -> Future.succeededFuture(list));
    return Future.all(compile.completion(), listing.completion()).mapEmpty();
  }

  /**
   * Compiles a loaded profile by name, or inline YAML when {@code yaml} is set.
   *
   * @throws PhantomException NOT_FOUND for an unknown profile, INVALID_ARGUMENT for an unsupported arch
   *     or an inline profile that does not read or compile (message: one problem per line,
   *     {@code file:line:column: field: problem})
   */
  public CompiledProfile compile(CompileProfileRequest request) {
    Arch arch = Arch.fromUname(request.getArch()).orElseThrow(() -> PhantomException.invalidArgument(
        "unsupported arch '" + request.getArch() + "'; supported: " + String.join(", ", Arch.unameNames())));
    CompiledProfile base;
    ProfileLibrary.Entry entry;
    CompiledPolicy policy;
    if (!request.getYaml().isEmpty()) {
      if (request.getYaml().length() > MAX_INLINE_BYTES) {
        throw PhantomException.invalidArgument("inline profile of " + request.getYaml().length()
            + " characters; at most " + MAX_INLINE_BYTES);
      }
      String origin = request.getOrigin().isEmpty() ? "inline.yaml" : request.getOrigin();
      PolicyCatalog.Inline inline;
      try {
        inline = catalog.compileInline(origin, request.getYaml(), arch);
      } catch (ProfileException e) {
        throw PhantomException.invalidArgument(String.join("\n", e.problems()));
      }
      entry = inline.entry();
      policy = inline.compiled();
      base = toProto(policy, entry);
    } else {
      policy = catalog.find(request.getProfile(), arch).orElseThrow(() -> PhantomException.notFound(
          "unknown profile '" + request.getProfile() + "'; known profiles: " + String.join(", ", catalog.names())));
      entry = catalog.entry(request.getProfile()).orElseThrow();
      CompiledPolicy p = policy;
      base = replies.computeIfAbsent(policy.profile().name() + "/" + arch.unameName(), key -> toProto(p, entry));
    }
    if (!request.getDisassembly() && !request.getIncludeSource()) {
      return base;
    }
    CompiledProfile.Builder out = base.toBuilder();
    if (request.getDisassembly()) {
      out.setDisassembly(Disassembler.listing(policy.filter(), ClasspathSyscalls.load().table(arch)));
    }
    if (request.getIncludeSource()) {
      out.setSource(entry.text()).setResolved(ProfileDigest.canonical(entry.profile()));
    }
    return out.build();
  }

  static CompiledProfile toProto(CompiledPolicy policy) {
    return toProto(policy, null);
  }

  static CompiledProfile toProto(CompiledPolicy policy, ProfileLibrary.Entry entry) {
    Profile p = policy.profile();
    byte[] bpf = policy.filter().toBytes();
    CompiledProfile.Builder out = CompiledProfile.newBuilder()
        .setName(p.name())
        .setDigest(policy.digest())
        .setArch(policy.arch().unameName())
        .setSeccompBpf(ByteString.copyFrom(bpf))
        .setInstructionCount(policy.filter().size())
        .setWorstPathLength(BpfAnalysis.worstPath(policy.filter()))
        .setFilterSha256(sha256(bpf))
        .setNetwork(switch (p.network()) {
          case DISABLED -> NetworkMode.NETWORK_MODE_DISABLED;
        })
        .setLimits(toProto(p.limits()))
        .putAllEnv(p.env())
        .setHostname(p.hostname())
        .setDescription(p.description())
        .setCwd(p.cwd())
        .setUid(p.uid())
        .setGid(p.gid())
        .setImage(p.image());
    if (entry != null) {
      out.addAllWarnings(entry.warnings()).setExtends(entry.parent() == null ? "" : entry.parent());
    }
    for (MountSpec m : p.mounts()) {
      out.addMounts(toProto(m));
    }
    return out.build();
  }

  private static String sha256(byte[] bytes) {
    try {
      return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  static Limits toProto(dev.phantom.policy.core.Limits l) {
    // uint32 fields: the core keeps timeouts within 32 bits of ms and counts within int.
    return Limits.newBuilder()
        .setDefaultTimeoutMs((int) l.defaultTimeout().toMillis())
        .setMaxTimeoutMs((int) l.maxTimeout().toMillis())
        .setMaxOutputBytes(l.maxOutputBytes())
        .setDefaultMemoryBytes(l.defaultMemoryBytes())
        .setMaxMemoryBytes(l.maxMemoryBytes())
        .setDefaultPids(l.defaultPids())
        .setMaxPids(l.maxPids())
        .setDefaultCpuMillicores(l.defaultCpuMillicores())
        .setMaxCpuMillicores(l.maxCpuMillicores())
        .setMaxFileSizeBytes(l.maxFileSizeBytes())
        .setMaxOpenFiles(l.maxOpenFiles())
        .build();
  }

  private static Mount toProto(MountSpec m) {
    return Mount.newBuilder()
        .setKind(switch (m.kind()) {
          case RO_BIND -> Mount.Kind.KIND_RO_BIND;
          case BIND -> Mount.Kind.KIND_BIND;
          case TMPFS -> Mount.Kind.KIND_TMPFS;
          case PROC -> Mount.Kind.KIND_PROC;
          case DEV -> Mount.Kind.KIND_DEV;
          case SYMLINK -> Mount.Kind.KIND_SYMLINK;
          case DIR -> Mount.Kind.KIND_DIR;
          case WORKSPACE -> Mount.Kind.KIND_WORKSPACE;
        })
        .setSource(m.source())
        .setTarget(m.target())
        .setOptional(m.optional())
        .setSizeBytes(m.sizeBytes())
        .build();
  }

  /** For tests and callers that need the names without the bus. */
  public List<String> names() {
    return list.getNamesList();
  }
}
