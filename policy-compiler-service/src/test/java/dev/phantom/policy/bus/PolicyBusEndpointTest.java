package dev.phantom.policy.bus;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.policy.PolicyCompilerVerticle;
import dev.phantom.proto.policy.v1.CompileProfileRequest;
import dev.phantom.proto.policy.v1.CompiledProfile;
import dev.phantom.proto.policy.v1.ListProfilesRequest;
import dev.phantom.proto.policy.v1.Limits;
import dev.phantom.proto.policy.v1.Mount;
import dev.phantom.proto.policy.v1.NetworkMode;
import dev.phantom.proto.policy.v1.ProfileList;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The verticle deployed in a plain Vert.x, called over the event bus as other services do. */
class PolicyBusEndpointTest {

  private static Vertx vertx;

  @BeforeAll
  static void deploy() throws Exception {
    vertx = Vertx.vertx();
    await(vertx.deployVerticle(new PolicyCompilerVerticle(new JsonObject())));
  }

  @AfterAll
  static void close() throws Exception {
    await(vertx.close());
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static Future<CompiledProfile> compile(String profile, String arch) {
    return BusRpc.request(vertx.eventBus(), Addresses.POLICY_COMPILE,
        CompileProfileRequest.newBuilder().setProfile(profile).setArch(arch).build(), CompiledProfile.parser(), 5000);
  }

  private static PhantomException failure(Future<?> future) {
    try {
      await(future);
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(PhantomException.class);
      return (PhantomException) e.getCause();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("expected a failure");
  }

  @Test
  void listsProfilesSorted() throws Exception {
    ProfileList list = await(BusRpc.request(vertx.eventBus(), Addresses.POLICY_LIST,
        ListProfilesRequest.getDefaultInstance(), ProfileList.parser(), 5000));
    assertThat(list.getNamesList())
        .containsExactly("go-dev", "java-dev", "minimal", "node-dev", "python-dev", "rust-dev", "strict");
  }

  @Test
  void compilesAProfile() throws Exception {
    CompiledProfile p = await(compile("python-dev", "x86_64"));
    assertThat(p.getName()).isEqualTo("python-dev");
    assertThat(p.getArch()).isEqualTo("x86_64");
    assertThat(p.getDigest()).matches("[0-9a-f]{64}");
    assertThat(p.getSeccompBpf().size()).isPositive().isEqualTo(p.getSeccompBpf().size() / 8 * 8);
    assertThat(p.getNetwork()).isEqualTo(NetworkMode.NETWORK_MODE_DISABLED);
    assertThat(p.getMountsList()).contains(Mount.newBuilder().setKind(Mount.Kind.KIND_TMPFS).setTarget("/tmp")
        .setSizeBytes(256L << 20).build());
    assertThat(p.getMountsList()).contains(Mount.newBuilder().setKind(Mount.Kind.KIND_WORKSPACE)
        .setTarget("/workspace").setSizeBytes(256L << 20).build());
    assertThat(p.getLimits()).isEqualTo(Limits.newBuilder()
        .setDefaultTimeoutMs(30_000).setMaxTimeoutMs(300_000).setMaxOutputBytes(1 << 20)
        .setDefaultMemoryBytes(512L << 20).setMaxMemoryBytes(2L << 30)
        .setDefaultPids(128).setMaxPids(1024)
        .setDefaultCpuMillicores(1000).setMaxCpuMillicores(2000)
        .setMaxFileSizeBytes(256L << 20).setMaxOpenFiles(1024).build());
    assertThat(p.getCwd()).isEqualTo("/workspace");
    assertThat(p.getEnvMap()).containsEntry("HOME", "/workspace");
    assertThat(p.getEnvMap()).containsEntry("LANG", "C.UTF-8");
    assertThat(p.getUid()).isEqualTo(1000);

    CompiledProfile arm = await(compile("python-dev", "aarch64"));
    assertThat(arm.getDigest()).isEqualTo(p.getDigest());
    assertThat(arm.getSeccompBpf()).isNotEqualTo(p.getSeccompBpf());
    assertThat(await(compile("python-dev", "x86_64"))).isEqualTo(p);
  }

  private static Future<CompiledProfile> compile(CompileProfileRequest request) {
    return BusRpc.request(vertx.eventBus(), Addresses.POLICY_COMPILE, request, CompiledProfile.parser(), 5000);
  }

  @Test
  void repliesCarryCountsHashesAndOnRequestListingAndSource() throws Exception {
    CompiledProfile p = await(compile(CompileProfileRequest.newBuilder().setProfile("strict").setArch("x86_64")
        .setDisassembly(true).setIncludeSource(true).build()));
    assertThat(p.getInstructionCount()).isEqualTo(p.getSeccompBpf().size() / 8);
    assertThat(p.getWorstPathLength()).isBetween(8, p.getInstructionCount());
    assertThat(p.getFilterSha256()).isEqualTo(java.util.HexFormat.of().formatHex(
        java.security.MessageDigest.getInstance("SHA-256").digest(p.getSeccompBpf().toByteArray())));
    assertThat(p.getDisassembly()).startsWith("0000: ld   [4]").contains("KILL_PROCESS").contains("; socket");
    assertThat(p.getSource()).contains("name: strict");
    assertThat(p.getResolved()).contains("seccomp.default allow");
    assertThat(p.getWarningsList()).isEmpty();
    CompiledProfile plain = await(compile("strict", "x86_64"));
    assertThat(plain.getDisassembly()).isEmpty();
    assertThat(plain.getSource()).isEmpty();
    assertThat(plain.getSeccompBpf()).isEqualTo(p.getSeccompBpf());
  }

  @Test
  void compilesInlineYamlThatExtendsALoadedProfile() throws Exception {
    String yaml = """
        name: my-strict
        extends: strict
        unsafe: true
        seccomp:
          rules:
            - {action: allow, syscalls: [ptrace]}
            - {action: kill-process, syscalls: [getcwd]}
        """;
    CompiledProfile p = await(compile(CompileProfileRequest.newBuilder().setYaml(yaml).setOrigin("my.yaml")
        .setArch("aarch64").build()));
    assertThat(p.getName()).isEqualTo("my-strict");
    assertThat(p.getExtends()).isEqualTo("strict");
    assertThat(p.getArch()).isEqualTo("aarch64");
    assertThat(p.getWarningsList()).singleElement().asString().startsWith("my.yaml:3:9: unsafe: this profile allows ptrace");
    assertThat(p.getCwd()).isEqualTo("/workspace");
    assertThat(p.getInstructionCount()).isPositive();
  }

  @Test
  void badInlineYamlIsInvalidArgumentWithPositions() {
    PhantomException e = failure(compile(CompileProfileRequest.newBuilder().setArch("x86_64").setOrigin("bad.yaml")
        .setYaml("name: bad\nextends: strct\n").build()));
    assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
    assertThat(e.getMessage()).isEqualTo("bad.yaml:2:10: extends: unknown profile 'strct'; did you mean 'strict'?"
        + " (known: go-dev, java-dev, minimal, node-dev, python-dev, rust-dev, strict)");
    PhantomException e2 = failure(compile(CompileProfileRequest.newBuilder().setArch("x86_64")
        .setYaml("name: bad\nextends: strict\nseccomp:\n  rules:\n    - {action: allow, syscalls: [bfp]}\n").build()));
    assertThat(e2.getMessage()).isEqualTo("inline.yaml:5:34: seccomp.rules[0].syscalls[0]: unknown syscall 'bfp';"
        + " did you mean 'bpf'? (in none of the tables for x86_64, aarch64)");
  }

  @Test
  void listCarriesDescriptionsAndParents() throws Exception {
    ProfileList list = await(BusRpc.request(vertx.eventBus(), Addresses.POLICY_LIST,
        ListProfilesRequest.getDefaultInstance(), ProfileList.parser(), 5000));
    assertThat(list.getProfilesList()).extracting(p -> p.getName()).containsExactlyElementsOf(list.getNamesList());
    assertThat(list.getProfiles(0).getDescription()).isNotEmpty();
  }

  @Test
  void unknownProfileIsNotFound() {
    PhantomException e = failure(compile("nope", "x86_64"));
    assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND);
    assertThat(e.getMessage()).isEqualTo("unknown profile 'nope'; known profiles: "
        + "go-dev, java-dev, minimal, node-dev, python-dev, rust-dev, strict");
  }

  @Test
  void unsupportedArchIsInvalidArgument() {
    PhantomException e = failure(compile("minimal", "riscv64"));
    assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains("riscv64").contains("x86_64, aarch64");
  }

  @Test
  void startFailsListingEveryProblem(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("a.yaml"), "name: a\n");
    Files.writeString(dir.resolve("b.yaml"), "name: [b]\n");
    Vertx other = Vertx.vertx();
    try {
      Future<String> deployment = other.deployVerticle(new PolicyCompilerVerticle(
          new JsonObject().put("profileDirs", new JsonArray().add(dir.toString()))));
      assertThatThrownByAwait(deployment, dir.resolve("a.yaml") + ":1:1: mounts: missing required field",
          dir.resolve("b.yaml") + ":1:7: name: expected a string, got a list");
      assertThatThrownByAwait(other.deployVerticle(new PolicyCompilerVerticle(
          new JsonObject().put("profileDirs", "/etc").put("profileDir", 1))), "profileDirs must be a JSON array",
          "unknown key 'profileDir'");
    } finally {
      await(other.close());
    }
  }

  private static void assertThatThrownByAwait(Future<?> future, String... fragments) {
    try {
      await(future);
      throw new AssertionError("expected the start to fail");
    } catch (ExecutionException e) {
      assertThat(e.getCause().getMessage()).contains(fragments);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
