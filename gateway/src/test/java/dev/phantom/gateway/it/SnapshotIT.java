package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.DeleteSnapshotRequest;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.api.v1.SandboxApiGrpcClient;
import dev.phantom.api.v1.Snapshot;
import dev.phantom.api.v1.SnapshotSandboxRequest;
import dev.phantom.proto.store.v1.FragmentStoreApiGrpcClient;
import dev.phantom.proto.store.v1.GetManifestRequest;
import dev.phantom.proto.store.v1.Manifest;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.Entry;
import dev.phantom.store.core.Tree;
import dev.phantom.support.PhantomException;
import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Workspace snapshots through the public gRPC API: real sandboxes, a real store, two API keys. The manifest a
 * snapshot stored is read back through the store's public API and decoded.
 */
class SnapshotIT {

  static final String NO_SUCH = "0".repeat(64);
  private static EmbeddedMesh mesh;
  private static Path dir;
  /** The zygote's state directory of the last {@link #meshConfig}. */
  static Path state;
  static SessionIT.Client a;
  static SessionIT.Client b;

  @BeforeAll
  static void start() throws Exception {
    SandboxHost.assumeBubblewrap();
    dir = Files.createTempDirectory("phantom-snapshot-it");
    mesh = EmbeddedMesh.start(meshConfig(dir));
    a = new SessionIT.Client(mesh.node.mesh().vertx(), mesh.grpcPort, SessionIT.KEY_A);
    b = new SessionIT.Client(mesh.node.mesh().vertx(), mesh.grpcPort, SessionIT.KEY_B);
  }

  static JsonObject meshConfig(Path dir) throws Exception {
    // The state directory's parents must be searchable by the sandbox user: a temp dir of its own.
    state = Files.createTempDirectory("phantom-snapshot-state");
    return SessionIT.meshConfig(state).put("store", new JsonObject().put("dataDir", dir.resolve("store").toString()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (mesh != null) {
      mesh.close();
    }
    for (Path p : new Path[] {dir, state}) {
      if (p != null) {
        dev.phantom.zygote.workspace.Workspaces.deleteTree(p);
      }
    }
  }

  @Test
  void aSnapshotKeepsFilesModesLinksAndEmptyDirectoriesAndLeavesOutFifos() {
    Sandbox box = a.create(CreateSandboxRequest.newBuilder().setProfile("minimal").build());
    try {
      sh(box, "mkdir -p src/empty && printf 'print(1)\\n' > src/main.py && chmod 0751 src/main.py"
          + " && ln -s src/main.py link && ln src/main.py hard && mkfifo pipe && head -c 300000 /dev/urandom > blob");
      Snapshot first = snapshot(box);
      assertThat(first.getSnapshotId()).matches("[0-9a-f]{64}");
      assertThat(first.getFiles()).isEqualTo(3); // main.py, its hardlink, blob
      assertThat(first.getLogicalBytes()).isEqualTo(300_000 + 9);
      assertThat(first.getUploadedBytes()).isEqualTo(300_000 + 9);
      assertThat(first.getSkippedList()).singleElement().asString().startsWith("pipe: ");

      Map<String, Entry> root = entries(first.getSnapshotId(), null);
      assertThat(root).containsOnlyKeys("src", "link", "hard", "blob");
      assertThat(root.get("link")).isInstanceOfSatisfying(Entry.Symlink.class,
          l -> assertThat(l.target()).isEqualTo("src/main.py"));
      Map<String, Entry> src = entries(first.getSnapshotId(), (Entry.Dir) root.get("src"));
      assertThat(src.get("main.py").meta().mode()).isEqualTo(0751);
      assertThat(src.get("empty")).isInstanceOf(Entry.Dir.class);
      assertThat(entries(first.getSnapshotId(), (Entry.Dir) src.get("empty"))).isEmpty();
      assertThat(root.get("hard") instanceof Entry.Hardlink || src.get("main.py") instanceof Entry.Hardlink)
          .as("two names of one file: one file and one hardlink").isTrue();

      // Unchanged: the same id, nothing sent. One file changed in place: only the chunks around the change.
      Snapshot again = snapshot(box);
      assertThat(again.getSnapshotId()).isEqualTo(first.getSnapshotId());
      assertThat(again.getUploadedBytes()).isZero();
      sh(box, "printf 'CHANGED' | dd of=blob bs=1 seek=150000 conv=notrunc 2>/dev/null");
      Snapshot delta = snapshot(box);
      assertThat(delta.getSnapshotId()).isNotEqualTo(first.getSnapshotId());
      assertThat(delta.getNewChunks()).isBetween(1L, 2L);
      assertThat(delta.getUploadedBytes()).isPositive().isLessThan(300_000);
      assertThat(delta.getReusedChunks()).isPositive();
    } finally {
      a.destroy(box.getId());
    }
  }

  @Test
  void forksStartAsTheSnapshotAndNeverSeeEachOthersWrites() {
    Sandbox origin = a.create(CreateSandboxRequest.newBuilder().setProfile("minimal").build());
    String id;
    try {
      sh(origin, "mkdir -p src/empty && echo 'v1' > src/app.txt && chmod 0640 src/app.txt && ln -s src/app.txt link"
          + " && head -c 200000 /dev/urandom > data.bin && md5sum data.bin > data.md5");
      id = snapshot(origin).getSnapshotId();
    } finally {
      a.destroy(origin.getId());
    }
    Sandbox one = fork(id);
    Sandbox two = fork(id);
    try {
      for (Sandbox fork : new Sandbox[] {one, two}) {
        assertThat(sh(fork, "cat link; stat -c '%a %u' src/app.txt; test -d src/empty && echo empty-dir;"
            + " readlink link; md5sum -c data.md5 >/dev/null && echo same-data"))
            .isEqualTo("v1\n640 " + sh(fork, "id -u").strip() + "\nempty-dir\nsrc/app.txt\nsame-data\n");
      }
      sh(one, "echo 'v2 of one' > src/app.txt && echo new > only-in-one && rm data.bin && rmdir src/empty");
      assertThat(sh(one, "cat src/app.txt; ls")).isEqualTo("v2 of one\ndata.md5\nlink\nonly-in-one\nsrc\n");
      assertThat(sh(two, "cat src/app.txt; ls; test -d src/empty && echo empty-dir"))
          .isEqualTo("v1\ndata.bin\ndata.md5\nlink\nsrc\nempty-dir\n");
      Sandbox three = fork(id);
      try {
        assertThat(sh(three, "cat src/app.txt; ls")).isEqualTo("v1\ndata.bin\ndata.md5\nlink\nsrc\n");
      } finally {
        a.destroy(three.getId());
      }
      // A fork's own snapshot holds its changes.
      String ofOne = snapshot(one).getSnapshotId();
      Sandbox four = fork(ofOne);
      try {
        assertThat(sh(four, "cat src/app.txt; ls")).isEqualTo("v2 of one\ndata.md5\nlink\nonly-in-one\nsrc\n");
      } finally {
        a.destroy(four.getId());
      }
    } finally {
      a.destroy(one.getId());
      a.destroy(two.getId());
    }
    assertThat(dev.phantom.zygote.workspace.Workspaces.mountsUnder(state)).as("mounts left under the state dir")
        .isEmpty();
  }

  @Test
  void restMcpAndTheCliSnapshotAndFork() throws Exception {
    Sandbox box = a.create(CreateSandboxRequest.newBuilder().setProfile("minimal").build());
    List<String> made = new ArrayList<>(List.of(box.getId()));
    try {
      sh(box, "echo from-origin > note.txt");
      // REST
      HttpResponse<String> taken = rest("POST", "/sandboxes/" + box.getId() + "/snapshot", null);
      assertThat(taken.statusCode()).as(taken.body()).isEqualTo(200);
      String id = new JsonObject(taken.body()).getString("snapshotId");
      assertThat(id).matches("[0-9a-f]{64}");
      HttpResponse<String> forked = rest("POST", "/sandboxes", new JsonObject().put("profile", "minimal")
          .put("fromSnapshot", id).encode());
      assertThat(forked.statusCode()).as(forked.body()).isEqualTo(200);
      String restFork = new JsonObject(forked.body()).getString("id");
      made.add(restFork);
      assertThat(sh(restFork, "cat note.txt"))
          .isEqualTo("from-origin\n");
      assertThat(rest("POST", "/sandboxes", new JsonObject().put("profile", "minimal").put("fromSnapshot", "xyz")
          .encode()).statusCode()).isEqualTo(400);
      assertThat(rest("DELETE", "/snapshots/" + NO_SUCH, null).statusCode()).isEqualTo(404);
      assertThat(rest("POST", "/sandboxes/" + box.getNodeId() + "." + "b".repeat(26) + "/snapshot", null)
          .statusCode()).isEqualTo(404);

      // MCP over HTTP, as the same key
      String session = mcp(null, new JsonObject().put("jsonrpc", "2.0").put("id", 1).put("method", "initialize")
          .put("params", new JsonObject().put("protocolVersion", "2025-06-18").put("capabilities", new JsonObject())
              .put("clientInfo", new JsonObject().put("name", "it").put("version", "1")))).headers()
          .firstValue("Mcp-Session-Id").orElseThrow();
      mcp(session, new JsonObject().put("jsonrpc", "2.0").put("method", "notifications/initialized"));
      JsonObject snap = tool(session, 2, "snapshot_sandbox", new JsonObject().put("sandbox_id", box.getId()));
      assertThat(snap.getString("snapshot_id")).isEqualTo(id);
      String mcpFork = tool(session, 3, "create_sandbox", new JsonObject().put("from_snapshot", id))
          .getString("sandbox_id");
      made.add(mcpFork);
      assertThat(tool(session, 4, "execute_command", new JsonObject().put("sandbox_id", mcpFork)
          .put("command", "cat note.txt")).getString("stdout")).isEqualTo("from-origin\n");

      // CLI
      Map<String, String> env = Map.of("PHANTOM_GATEWAY", "127.0.0.1:" + mesh.grpcPort, "PHANTOM_API_KEY", SessionIT.KEY_A);
      try (LauncherProcess cli = LauncherProcess.start(CLI_HOME, env, "snapshot", box.getId())) {
        assertThat(cli.waitFor(LIMIT)).as("stderr: %s", cli.stderr).isZero();
        assertThat(cli.stdout).containsExactly(id);
      }
      try (LauncherProcess cli = LauncherProcess.start(CLI_HOME, env, "create", "--profile", "minimal",
          "--from-snapshot", id)) {
        assertThat(cli.waitFor(LIMIT)).as("stderr: %s", cli.stderr).isZero();
        made.add(cli.stdout.getFirst());
        assertThat(sh(cli.stdout.getFirst(), "cat note.txt")).isEqualTo("from-origin\n");
      }
      try (LauncherProcess cli = LauncherProcess.start(CLI_HOME, env, "snapshot", box.getNodeId() + "." + "c".repeat(26))) {
        assertThat(cli.waitFor(LIMIT)).isEqualTo(125);
        assertThat(cli.stderr).singleElement().asString().startsWith("phantom: NOT_FOUND");
      }
      try (LauncherProcess cli = LauncherProcess.start(CLI_HOME, env, "snapshot", "--delete", id)) {
        assertThat(cli.waitFor(LIMIT)).as("stderr: %s", cli.stderr).isZero();
      }
      assertThat(rest("DELETE", "/snapshots/" + id, null).statusCode()).as("deleted by the CLI").isEqualTo(404);
    } finally {
      made.forEach(a::destroy);
    }
  }

  private static final Path CLI_HOME = LauncherProcess.HOME.resolveSibling("phantom-home-snapshot");
  private static final java.time.Duration LIMIT = java.time.Duration.ofSeconds(60);
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static HttpResponse<String> rest(String method, String path, String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mesh.httpPort + "/api/v2" + path))
        .header("authorization", "Bearer " + SessionIT.KEY_A).header("content-type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> mcp(String session, JsonObject message) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mesh.httpPort + "/mcp"))
        .timeout(java.time.Duration.ofSeconds(60)).header("authorization", "Bearer " + SessionIT.KEY_A)
        .header("Accept", "application/json, text/event-stream").header("Content-Type", "application/json")
        .header("MCP-Protocol-Version", "2025-06-18");
    if (session != null) {
      request.header("Mcp-Session-Id", session);
    }
    return HTTP.send(request.POST(HttpRequest.BodyPublishers.ofString(message.encode())).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** A tool's structured result; fails on a protocol or tool error. */
  private static JsonObject tool(String session, int id, String name, JsonObject arguments) throws Exception {
    HttpResponse<String> response = mcp(session, new JsonObject().put("jsonrpc", "2.0").put("id", id)
        .put("method", "tools/call").put("params", new JsonObject().put("name", name).put("arguments", arguments)));
    JsonObject result = new JsonObject(response.body()).getJsonObject("result");
    assertThat(result).as(response.body()).isNotNull();
    assertThat(result.getBoolean("isError")).as(response.body()).isFalse();
    return result.getJsonObject("structuredContent");
  }

  static Sandbox fork(String snapshotId) {
    return a.create(CreateSandboxRequest.newBuilder().setProfile("minimal").setFromSnapshot(snapshotId).build());
  }

  @Test
  void badInputGetsTheRightStatus() {
    Sandbox box = a.create(CreateSandboxRequest.newBuilder().setProfile("minimal").build());
    a.destroy(box.getId());
    assertThatThrownBy(() -> a.unary(SandboxApiGrpcClient.SnapshotSandbox,
        SnapshotSandboxRequest.newBuilder().setSandboxId(box.getNodeId() + "." + "a".repeat(26)).build()))
        .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND));
    assertThatThrownBy(() -> a.create(CreateSandboxRequest.newBuilder().setProfile("minimal")
        .setFromSnapshot("not-hex").build()))
        .isInstanceOfSatisfying(PhantomException.class, e -> {
          assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
          assertThat(e.getMessage()).contains("64 lowercase hex digits");
        });
    assertThatThrownBy(() -> a.create(CreateSandboxRequest.newBuilder().setProfile("minimal")
        .setFromSnapshot(NO_SUCH).build()))
        .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND));
    assertThatThrownBy(() -> a.unary(SandboxApiGrpcClient.DeleteSnapshot,
        DeleteSnapshotRequest.newBuilder().setSnapshotId(NO_SUCH).build()))
        .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND));
    assertThatThrownBy(() -> a.unary(SandboxApiGrpcClient.DeleteSnapshot,
        DeleteSnapshotRequest.newBuilder().setSnapshotId("XYZ").build()))
        .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT));
  }

  @Test
  void anotherKeyCannotSeeDeleteOrSnapshotWhatIsNotItsOwn() {
    Sandbox box = a.create(CreateSandboxRequest.newBuilder().setProfile("minimal").build());
    try {
      sh(box, "echo secret > s.txt");
      Snapshot snap = snapshot(box);
      assertThatThrownBy(() -> b.unary(SandboxApiGrpcClient.SnapshotSandbox,
          SnapshotSandboxRequest.newBuilder().setSandboxId(box.getId()).build()))
          .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND));
      assertThatThrownBy(() -> b.create(CreateSandboxRequest.newBuilder().setProfile("minimal")
          .setFromSnapshot(snap.getSnapshotId()).build()))
          .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND));
      assertThatThrownBy(() -> b.unary(SandboxApiGrpcClient.DeleteSnapshot,
          DeleteSnapshotRequest.newBuilder().setSnapshotId(snap.getSnapshotId()).build()))
          .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND));
      // Its owner deletes it; then it is gone for the owner too.
      a.unary(SandboxApiGrpcClient.DeleteSnapshot, DeleteSnapshotRequest.newBuilder()
          .setSnapshotId(snap.getSnapshotId()).build());
      assertThatThrownBy(() -> a.create(CreateSandboxRequest.newBuilder().setProfile("minimal")
          .setFromSnapshot(snap.getSnapshotId()).build()))
          .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND));
    } finally {
      a.destroy(box.getId());
    }
  }

  static Snapshot snapshot(Sandbox box) {
    return a.unary(SandboxApiGrpcClient.SnapshotSandbox, SnapshotSandboxRequest.newBuilder().setSandboxId(box.getId()).build());
  }

  static String sh(Sandbox box, String script) {
    return sh(box.getId(), script);
  }

  static String sh(String sandboxId, String script) {
    SessionIT.Exec run = a.exec(sandboxId, "sh", "-c", script);
    assertThat(run.result().getExitCode()).as(run.stderr()).isZero();
    return run.stdout();
  }

  /** A directory of a stored manifest (the root when {@code dir} is null), by name. */
  private static Map<String, Entry> entries(String manifestHex, Entry.Dir dir) {
    Manifest manifest = a.unary(FragmentStoreApiGrpcClient.GetManifest, GetManifestRequest.newBuilder()
        .setRoot(com.google.protobuf.ByteString.copyFrom(Digest.parse(manifestHex).toBytes())).build());
    Digest wanted = dir == null ? Digest.parse(manifestHex) : dir.tree();
    Map<String, Entry> out = new HashMap<>();
    for (com.google.protobuf.ByteString bytes : manifest.getTreesList()) {
      if (Digest.of(bytes.toByteArray()).equals(wanted)) {
        Tree.decode(bytes.toByteArray()).entries().forEach(e -> out.put(e.name(), e));
        return out;
      }
    }
    throw new AssertionError("tree " + wanted + " is not in manifest " + manifestHex);
  }
}
