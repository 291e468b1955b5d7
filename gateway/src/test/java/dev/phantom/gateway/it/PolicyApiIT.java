package dev.phantom.gateway.it;

import static dev.phantom.gateway.it.EmbeddedMesh.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.gateway.core.ApiKeys;
import dev.phantom.proto.policy.v1.CompileProfileRequest;
import dev.phantom.proto.policy.v1.CompiledProfile;
import dev.phantom.proto.policy.v1.ListProfilesRequest;
import dev.phantom.proto.policy.v1.PolicyApiGrpcClient;
import dev.phantom.proto.policy.v1.ProfileList;
import dev.phantom.support.PhantomException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code phantom.policy.v1.PolicyApi} on the gateway's public gRPC server, proxied to the policy compiler. */
class PolicyApiIT {

  private static final String KEY = "pf_test_policy_api";
  private static EmbeddedMesh mesh;
  private static GrpcClient grpc;
  private static SocketAddress server;
  private static io.vertx.core.Context context;

  @BeforeAll
  static void start() {
    mesh = EmbeddedMesh.start(new JsonObject().put("gateway", new JsonObject()
        .put("apiKeys", new JsonArray().add(new JsonObject().put("name", "ci").put("sha256", ApiKeys.sha256Hex(KEY))))));
    grpc = GrpcClient.client(mesh.node.mesh().vertx());
    context = mesh.node.mesh().vertx().getOrCreateContext();
    server = SocketAddress.inetSocketAddress(mesh.grpcPort, "127.0.0.1");
  }

  @AfterAll
  static void stop() {
    if (grpc != null) {
      await(grpc.close());
    }
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void compilesALoadedProfileByName() throws Exception {
    CompiledProfile strict = await(call(PolicyApiGrpcClient.CompileProfile, KEY,
        CompileProfileRequest.newBuilder().setProfile("strict").setArch("x86_64").build()));

    assertThat(strict.getName()).isEqualTo("strict");
    assertThat(strict.getArch()).isEqualTo("x86_64");
    assertThat(strict.getInstructionCount()).isPositive()
        .isEqualTo(strict.getSeccompBpf().size() / 8);
    assertThat(strict.getWorstPathLength()).isPositive().isLessThanOrEqualTo(strict.getInstructionCount());
    assertThat(strict.getFilterSha256()).isEqualTo(sha256(strict.getSeccompBpf().toByteArray()));
    assertThat(strict.getWarningsList()).isEmpty();

    // No arch: the gateway host's.
    CompiledProfile host = await(call(PolicyApiGrpcClient.CompileProfile, KEY,
        CompileProfileRequest.newBuilder().setProfile("strict").build()));
    assertThat(host.getArch()).isEqualTo(dev.phantom.support.HostArch.current());
  }

  @Test
  void compilesInlineYamlThatExtendsStrict() throws Exception {
    CompiledProfile strict = await(call(PolicyApiGrpcClient.CompileProfile, KEY,
        CompileProfileRequest.newBuilder().setProfile("strict").setArch("x86_64").build()));
    String yaml = """
        name: my-strict
        extends: strict
        unsafe: true
        seccomp:
          rules:
            - {action: allow, syscalls: [ptrace]}
        """;
    CompiledProfile mine = await(call(PolicyApiGrpcClient.CompileProfile, KEY, CompileProfileRequest.newBuilder()
        .setYaml(yaml).setOrigin("my.yaml").setArch("x86_64").setDisassembly(true).build()));

    assertThat(mine.getName()).isEqualTo("my-strict");
    assertThat(mine.getExtends()).isEqualTo("strict");
    assertThat(mine.getInstructionCount()).isPositive().isEqualTo(mine.getSeccompBpf().size() / 8);
    assertThat(mine.getWorstPathLength()).isPositive();
    assertThat(mine.getFilterSha256()).isEqualTo(sha256(mine.getSeccompBpf().toByteArray()))
        .isNotEqualTo(strict.getFilterSha256());
    assertThat(mine.getWarningsList()).singleElement().asString()
        .startsWith("my.yaml:3:9: unsafe: this profile allows ptrace");
    assertThat(mine.getDisassembly()).isNotEmpty();

    // Same source, same bytes, same hash.
    CompiledProfile again = await(call(PolicyApiGrpcClient.CompileProfile, KEY, CompileProfileRequest.newBuilder()
        .setYaml(yaml).setOrigin("my.yaml").setArch("x86_64").build()));
    assertThat(again.getFilterSha256()).isEqualTo(mine.getFilterSha256());
    assertThat(again.getInstructionCount()).isEqualTo(mine.getInstructionCount());
  }

  @Test
  void invalidInlineYamlIsInvalidArgumentNamingLineAndColumn() {
    assertThatThrownBy(() -> await(call(PolicyApiGrpcClient.CompileProfile, KEY, CompileProfileRequest.newBuilder()
            .setArch("x86_64").setOrigin("bad.yaml")
            .setYaml("name: bad\nextends: strict\nseccomp:\n  rules:\n    - {action: allow, syscalls: [bfp]}\n")
            .build())))
        .isInstanceOfSatisfying(PhantomException.class, e -> {
          assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
          assertThat(e.getMessage()).startsWith("bad.yaml:5:34: seccomp.rules[0].syscalls[0]: unknown syscall 'bfp'");
        });
    assertThatThrownBy(() -> await(call(PolicyApiGrpcClient.CompileProfile, KEY,
            CompileProfileRequest.newBuilder().setProfile("nope").build())))
        .isInstanceOfSatisfying(PhantomException.class,
            e -> assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND));
  }

  @Test
  void listsProfiles() {
    ProfileList list = await(call(PolicyApiGrpcClient.ListProfiles, KEY, ListProfilesRequest.getDefaultInstance()));
    assertThat(list.getNamesList()).contains("strict", "minimal");
    assertThat(list.getProfilesList()).extracting(p -> p.getName()).containsExactlyElementsOf(list.getNamesList());
  }

  @Test
  void callsNeedAKnownKey() {
    assertThatThrownBy(() -> await(call(PolicyApiGrpcClient.ListProfiles, null, ListProfilesRequest.getDefaultInstance())))
        .isInstanceOfSatisfying(PhantomException.class,
            e -> assertThat(e.status()).isEqualTo(GrpcStatus.UNAUTHENTICATED));
    assertThatThrownBy(() -> await(call(PolicyApiGrpcClient.CompileProfile, "wrong",
            CompileProfileRequest.newBuilder().setProfile("strict").build())))
        .isInstanceOfSatisfying(PhantomException.class,
            e -> assertThat(e.status()).isEqualTo(GrpcStatus.UNAUTHENTICATED));
  }

  /** One unary call with the generated descriptor; a failure keeps the server's status and message. */
  /**
   * Started on one event loop, as SandboxClient does: from the test thread, a reply that ends at once
   * could end before its handlers were set.
   */
  private static <Q, R> Future<R> call(ServiceMethod<R, Q> method, String key, Q request) {
    io.vertx.core.Promise<R> result = io.vertx.core.Promise.promise();
    context.runOnContext(v -> grpc.request(server, method).compose(call -> {
      if (key != null) {
        call.headers().set("authorization", "Bearer " + key);
      }
      return call.send(request);
    }).compose(PolicyApiIT::single).onComplete(result));
    return result.future();
  }

  private static <R> Future<R> single(GrpcClientResponse<?, R> response) {
    Promise<R> outcome = Promise.promise();
    Object[] last = new Object[1];
    response.handler(message -> last[0] = message);
    response.exceptionHandler(outcome::tryFail);
    response.endHandler(end -> {
      if (response.status() == GrpcStatus.OK) {
        @SuppressWarnings("unchecked")
        R result = (R) last[0];
        outcome.tryComplete(result);
      } else {
        outcome.tryFail(new PhantomException(response.status(), response.statusMessage()));
      }
    });
    return outcome.future();
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }
}
