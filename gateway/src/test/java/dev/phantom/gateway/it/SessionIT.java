package dev.phantom.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Duration;
import dev.phantom.api.v1.ArchiveChunk;
import dev.phantom.api.v1.ArchiveStart;
import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.DestroySandboxRequest;
import dev.phantom.api.v1.DownloadArchiveRequest;
import dev.phantom.api.v1.ExecInput;
import dev.phantom.api.v1.ExecOutput;
import dev.phantom.api.v1.ExecStart;
import dev.phantom.api.v1.FileChunk;
import dev.phantom.api.v1.FileInfo;
import dev.phantom.api.v1.FileType;
import dev.phantom.api.v1.GetSandboxRequest;
import dev.phantom.api.v1.KeepAliveRequest;
import dev.phantom.api.v1.ListFilesRequest;
import dev.phantom.api.v1.ListFilesResponse;
import dev.phantom.api.v1.ListSandboxesRequest;
import dev.phantom.api.v1.MakeDirectoriesRequest;
import dev.phantom.api.v1.OutputStream;
import dev.phantom.api.v1.ReadFileRequest;
import dev.phantom.api.v1.RemoveFilesRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.api.v1.SandboxApiGrpcClient;
import dev.phantom.api.v1.SandboxState;
import dev.phantom.api.v1.UploadArchiveResponse;
import dev.phantom.api.v1.WorkspaceFile;
import dev.phantom.api.v1.WriteFilesRequest;
import dev.phantom.gateway.core.ApiKeys;
import dev.phantom.support.PhantomException;
import dev.phantom.support.testing.SandboxHost;
import io.vertx.core.Context;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sessions through the public gRPC API: real sandboxes, two API keys, the full story an agent lives. */
class SessionIT {

  static final String KEY_A = "pf_session_key_a";
  static final String KEY_B = "pf_session_key_b";
  private static EmbeddedMesh mesh;
  private static Path stateDir;
  private static Client a;
  private static Client b;

  @BeforeAll
  static void start() throws Exception {
    SandboxHost.assumeBubblewrap();
    stateDir = Files.createTempDirectory("phantom-session-it");
    mesh = EmbeddedMesh.start(meshConfig(stateDir));
    a = new Client(mesh.node.mesh().vertx(), mesh.grpcPort, KEY_A);
    b = new Client(mesh.node.mesh().vertx(), mesh.grpcPort, KEY_B);
  }

  static JsonObject meshConfig(Path stateDir) {
    return new JsonObject()
        .put("gateway", new JsonObject().put("rateLimitPerSecond", 0).put("apiKeys", new JsonArray()
            .add(new JsonObject().put("name", "alice").put("sha256", ApiKeys.sha256Hex(KEY_A)))
            .add(new JsonObject().put("name", "bob").put("sha256", ApiKeys.sha256Hex(KEY_B)))))
        .put("zygote", new JsonObject().put("stateDir", stateDir.toString()));
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
    dev.phantom.support.testing.TempDirs.deleteQuietly(stateDir);
  }

  @Test
  void anAgentWritesTestsRunsThemStartsAServerAndQueriesIt() {
    Sandbox box = a.create(CreateSandboxRequest.newBuilder().setProfile("python-dev").putLabels("task", "story").build());
    assertThat(box.getState()).isEqualTo(SandboxState.SANDBOX_STATE_READY);
    assertThat(box.getId()).startsWith(box.getNodeId() + ".");
    try {
      a.unary(SandboxApiGrpcClient.WriteFiles, WriteFilesRequest.newBuilder().setSandboxId(box.getId())
          .addFiles(file("calc.py", "def add(a, b):\n    return a + b\n"))
          .addFiles(file("tests/test_calc.py", "import unittest\nimport sys\nsys.path.insert(0, '/workspace')\n"
              + "from calc import add\n\nclass T(unittest.TestCase):\n    def test_add(self):\n"
              + "        self.assertEqual(add(2, 3), 5)\n"))
          .build());

      Exec tests = a.exec(box.getId(), "python3", "-m", "unittest", "discover", "-s", "tests", "-v");
      assertThat(tests.result.getStatus()).isEqualTo(RunStatus.RUN_STATUS_OK);
      assertThat(tests.stderr()).contains("test_add", "OK");
      assertThat(tests.result.getExitCode()).isZero();

      Exec server = a.exec(box.getId(), "sh", "-c", "python3 -m http.server 8000 --bind 127.0.0.1 >/tmp/server.log 2>&1 &");
      assertThat(server.result.getExitCode()).isZero();
      Exec query = a.exec(box.getId(), "python3", "-c", "import time, urllib.request\n"
          + "for i in range(50):\n"
          + "    try:\n"
          + "        print(urllib.request.urlopen('http://127.0.0.1:8000/').status); break\n"
          + "    except OSError:\n"
          + "        time.sleep(0.1)\n");
      assertThat(query.stdout()).isEqualTo("200\n");

      // A background server whose output still goes to the exec's own streams keeps running too.
      Exec loud = a.exec(box.getId(), "sh", "-c", "python3 -m http.server 8001 --bind 127.0.0.1 & echo started");
      assertThat(loud.stdout()).startsWith("started\n");
      Exec again = a.exec(box.getId(), "python3", "-c", "import time, urllib.request\n"
          + "for i in range(50):\n"
          + "    try:\n"
          + "        print(urllib.request.urlopen('http://127.0.0.1:8001/').status); break\n"
          + "    except OSError:\n"
          + "        time.sleep(0.1)\n");
      assertThat(again.stdout()).isEqualTo("200\n");

      assertThat(new String(a.readFile(box.getId(), "calc.py"), StandardCharsets.UTF_8)).startsWith("def add");

      a.unary(SandboxApiGrpcClient.MakeDirectories, MakeDirectoriesRequest.newBuilder().setSandboxId(box.getId())
          .addPaths("build/out").setMode(0750).build());
      ListFilesResponse listed = a.unary(SandboxApiGrpcClient.ListFiles, ListFilesRequest.newBuilder()
          .setSandboxId(box.getId()).setRecursive(true).build());
      assertThat(listed.getFilesList()).extracting(FileInfo::getPath)
          .contains("calc.py", "tests", "tests/test_calc.py", "build", "build/out");
      FileInfo calc = listed.getFilesList().stream().filter(f -> f.getPath().equals("calc.py")).findFirst().orElseThrow();
      assertThat(calc.getType()).isEqualTo(FileType.FILE_TYPE_REGULAR);
      assertThat(calc.getSize()).isEqualTo("def add(a, b):\n    return a + b\n".length());
      assertThat(calc.getMode()).isEqualTo(0644);
      assertThat(calc.getModifiedAt().getSeconds()).isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(120L));
      FileInfo out = listed.getFilesList().stream().filter(f -> f.getPath().equals("build/out")).findFirst().orElseThrow();
      assertThat(out.getType()).isEqualTo(FileType.FILE_TYPE_DIRECTORY);
      assertThat(out.getMode()).isEqualTo(0750);
      ListFilesResponse top = a.unary(SandboxApiGrpcClient.ListFiles, ListFilesRequest.newBuilder()
          .setSandboxId(box.getId()).build());
      assertThat(top.getFilesList()).extracting(FileInfo::getPath).contains("calc.py", "tests").doesNotContain("tests/test_calc.py");

      a.unary(SandboxApiGrpcClient.RemoveFiles, RemoveFilesRequest.newBuilder().setSandboxId(box.getId())
          .addPaths("build").setRecursive(true).build());
      assertThat(a.unary(SandboxApiGrpcClient.ListFiles, ListFilesRequest.newBuilder().setSandboxId(box.getId()).build())
          .getFilesList()).extracting(FileInfo::getPath).doesNotContain("build");

      byte[] archive = a.download(box.getId(), "tests");
      UploadArchiveResponse unpacked = a.upload(box.getId(), "copy", archive);
      assertThat(unpacked.getBytes()).isEqualTo(archive.length);
      assertThat(unpacked.getFiles()).isPositive();
      assertThat(new String(a.readFile(box.getId(), "copy/test_calc.py"), StandardCharsets.UTF_8)).contains("test_add");

      Sandbox kept = a.unary(SandboxApiGrpcClient.KeepAlive, KeepAliveRequest.newBuilder().setSandboxId(box.getId()).build());
      assertThat(kept.getIdleDeadline().getSeconds()).isGreaterThanOrEqualTo(box.getIdleDeadline().getSeconds());
    } finally {
      a.destroy(box.getId());
    }
    assertThatThrownBy(() -> a.exec(box.getId(), "true"))
        .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.FAILED_PRECONDITION));
    Sandbox stopped = a.unary(SandboxApiGrpcClient.GetSandbox, GetSandboxRequest.newBuilder().setSandboxId(box.getId()).build());
    assertThat(stopped.getState()).isEqualTo(SandboxState.SANDBOX_STATE_STOPPED);
    assertThat(stopped.getStopReason()).isEqualTo("destroyed");
  }

  @Test
  void stdinStreamsAndSignalsReachTheCommand() throws Exception {
    Sandbox box = a.create(CreateSandboxRequest.newBuilder().setProfile("minimal").build());
    try {
      Call<ExecInput, ExecOutput> cat = a.open(SandboxApiGrpcClient.Exec);
      cat.send(ExecInput.newBuilder().setStart(ExecStart.newBuilder().setSandboxId(box.getId()).addArgv("cat")).build());
      cat.send(ExecInput.newBuilder().setStdin(ByteString.copyFromUtf8("one\n")).build());
      cat.awaitMessages(1);
      cat.send(ExecInput.newBuilder().setStdin(ByteString.copyFromUtf8("two\n")).build());
      cat.send(ExecInput.newBuilder().setCloseStdin(true).build());
      Exec echoed = Exec.of(cat.finish());
      assertThat(echoed.stdout()).isEqualTo("one\ntwo\n");
      assertThat(echoed.result.getExitCode()).isZero();

      Call<ExecInput, ExecOutput> sleep = a.open(SandboxApiGrpcClient.Exec);
      sleep.send(ExecInput.newBuilder().setStart(ExecStart.newBuilder().setSandboxId(box.getId())
          .addAllArgv(List.of("sh", "-c", "echo up; exec sleep 30"))).build());
      sleep.awaitMessages(1);
      long before = System.nanoTime();
      sleep.send(ExecInput.newBuilder().setSignal(2).build());
      Exec interrupted = Exec.of(sleep.finish());
      assertThat(interrupted.result.getStatus()).isEqualTo(RunStatus.RUN_STATUS_OK);
      assertThat(interrupted.result.getExitCode()).isEqualTo(128 + 2);
      assertThat(System.nanoTime() - before).isLessThan(TimeUnit.SECONDS.toNanos(10));

      Exec slow = a.exec(box.getId(), Duration.newBuilder().setSeconds(1).build(), "sleep", "20");
      assertThat(slow.result.getStatus()).isEqualTo(RunStatus.RUN_STATUS_TIMEOUT);

      Call<ExecInput, ExecOutput> wrong = a.open(SandboxApiGrpcClient.Exec);
      wrong.send(ExecInput.newBuilder().setStdin(ByteString.copyFromUtf8("x")).build());
      assertThatThrownBy(wrong::finish).isInstanceOfSatisfying(PhantomException.class,
          e -> assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT));
    } finally {
      a.destroy(box.getId());
    }
  }

  @Test
  void anIdleSessionIsReapedAndSaysWhy() throws Exception {
    Sandbox box = a.create(CreateSandboxRequest.newBuilder().setProfile("minimal")
        .setIdleTimeout(Duration.newBuilder().setSeconds(1)).build());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    Sandbox seen = box;
    while (seen.getState() == SandboxState.SANDBOX_STATE_READY && System.nanoTime() < deadline) {
      Thread.sleep(300);
      // GetSandbox names the session, so looking at it would keep it alive: ask the list instead.
      seen = a.unary(SandboxApiGrpcClient.ListSandboxes, ListSandboxesRequest.getDefaultInstance()).getSandboxesList()
          .stream().filter(s -> s.getId().equals(box.getId())).findFirst().orElse(seen);
    }
    assertThat(seen.getState()).isEqualTo(SandboxState.SANDBOX_STATE_STOPPED);
    assertThat(seen.getStopReason()).contains("idle");
    assertThatThrownBy(() -> a.exec(box.getId(), "true"))
        .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.FAILED_PRECONDITION));
  }

  @Test
  void anotherKeyNeitherSeesNorTouchesTheSandbox() {
    Sandbox box = a.create(CreateSandboxRequest.newBuilder().setProfile("minimal").putLabels("owner", "a").build());
    try {
      assertThatThrownBy(() -> b.exec(box.getId(), "true"))
          .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND));
      assertThatThrownBy(() -> b.unary(SandboxApiGrpcClient.GetSandbox, GetSandboxRequest.newBuilder().setSandboxId(box.getId()).build()))
          .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND));
      assertThatThrownBy(() -> b.destroy(box.getId()))
          .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND));
      assertThatThrownBy(() -> b.readFile(box.getId(), "x"))
          .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND));
      assertThat(b.unary(SandboxApiGrpcClient.ListSandboxes, ListSandboxesRequest.getDefaultInstance()).getSandboxesList())
          .extracting(Sandbox::getId).doesNotContain(box.getId());
      assertThat(a.unary(SandboxApiGrpcClient.ListSandboxes, ListSandboxesRequest.newBuilder().putLabels("owner", "a").build())
          .getSandboxesList()).extracting(Sandbox::getId).contains(box.getId());
      assertThat(a.unary(SandboxApiGrpcClient.ListSandboxes, ListSandboxesRequest.newBuilder().putLabels("owner", "z").build())
          .getSandboxesList()).extracting(Sandbox::getId).doesNotContain(box.getId());
      assertThatThrownBy(() -> a.exec("nonode.abcdefghijklmnopqrstuvwxyz", "true"))
          .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isIn(GrpcStatus.NOT_FOUND, GrpcStatus.UNAVAILABLE));
      assertThatThrownBy(() -> a.exec("garbage", "true"))
          .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND));
    } finally {
      a.destroy(box.getId());
    }
  }

  @Test
  void pathsStayInTheSandboxsOwnView() throws Exception {
    Sandbox box = a.create(CreateSandboxRequest.newBuilder().setProfile("python-dev").build());
    try {
      assertThatThrownBy(() -> a.unary(SandboxApiGrpcClient.WriteFiles, WriteFilesRequest.newBuilder()
          .setSandboxId(box.getId()).addFiles(file("../x", "escape")).build()))
          .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT));
      assertThatThrownBy(() -> a.readFile(box.getId(), "../etc/hostname"))
          .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT));
      assertThatThrownBy(() -> a.readFile(box.getId(), "/etc/hostname"))
          .isInstanceOfSatisfying(PhantomException.class, e -> assertThat(e.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT));

      a.exec(box.getId(), "ln", "-s", "/etc/hostname", "/workspace/link-to-etc-hostname");
      a.exec(box.getId(), "ln", "-s", "/etc", "/workspace/etc-dir");
      String hostHostname = Files.readString(Path.of("/etc/hostname"));
      byte[] read;
      try {
        read = a.readFile(box.getId(), "link-to-etc-hostname");
      } catch (PhantomException e) {
        assertThat(e.status()).isEqualTo(GrpcStatus.NOT_FOUND);
        read = new byte[0];
      }
      assertThat(new String(read, StandardCharsets.UTF_8)).isNotEqualTo(hostHostname);
      try {
        read = a.readFile(box.getId(), "etc-dir/hostname");
      } catch (PhantomException e) {
        read = new byte[0];
      }
      assertThat(new String(read, StandardCharsets.UTF_8)).isNotEqualTo(hostHostname);
      // Writing through a link to a read-only place fails inside the sandbox, never on the host.
      assertThatThrownBy(() -> a.unary(SandboxApiGrpcClient.WriteFiles, WriteFilesRequest.newBuilder()
          .setSandboxId(box.getId()).addFiles(file("etc-dir/planted", "x")).build()))
          .isInstanceOf(PhantomException.class);
      assertThat(Path.of("/etc/planted")).doesNotExist();
    } finally {
      a.destroy(box.getId());
    }
  }

  @Test
  void afterDestroyNothingOfTheSessionRemains() throws Exception {
    Sandbox box = a.create(CreateSandboxRequest.newBuilder().setProfile("minimal").build());
    String suffix = box.getId().substring(box.getId().lastIndexOf('.') + 1);
    a.exec(box.getId(), "sh", "-c", "sleep 300 & sleep 301 & echo bg");
    assertThat(processesMentioning(suffix)).isNotEmpty();
    assertThat(cgroupsNamed(suffix)).isNotEmpty();

    a.destroy(box.getId());

    assertThat(processesMentioning(suffix)).isEmpty();
    assertThat(processesMentioning("sleep\u0000301")).isEmpty();
    assertThat(cgroupsNamed(suffix)).isEmpty();
    assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(suffix);
    try (Stream<Path> left = Files.walk(stateDir)) {
      assertThat(left.map(Path::toString).filter(p -> p.contains(suffix)).toList()).isEmpty();
    }
  }

  static List<Path> processesMentioning(String text) throws Exception {
    List<Path> found = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
        try {
          if (new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).contains(text)) {
            found.add(p);
          }
        } catch (java.io.IOException e) {
          // gone meanwhile
        }
      }
    }
    return found;
  }

  /** Groups whose name holds {@code text}; other tests' groups come and go meanwhile, which is tolerated. */
  static List<Path> cgroupsNamed(String text) {
    List<Path> found = new ArrayList<>();
    walk(Path.of("/sys/fs/cgroup"), 8, text, found);
    return found;
  }

  private static void walk(Path dir, int depth, String text, List<Path> found) {
    if (depth == 0) {
      return;
    }
    try (Stream<Path> entries = Files.list(dir)) {
      for (Path entry : entries.toList()) {
        if (Files.isDirectory(entry, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          if (entry.getFileName().toString().contains(text)) {
            found.add(entry);
          }
          walk(entry, depth - 1, text, found);
        }
      }
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      // vanished while listed
    }
  }

  static WorkspaceFile file(String path, String content) {
    return WorkspaceFile.newBuilder().setPath(path).setContent(ByteString.copyFromUtf8(content)).build();
  }

  /** The output and exit of one Exec. */
  record Exec(byte[] out, byte[] err, RunResult result) {
    static Exec of(List<ExecOutput> messages) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      RunResult result = null;
      for (ExecOutput m : messages) {
        if (m.hasChunk()) {
          (m.getChunk().getStream() == OutputStream.OUTPUT_STREAM_STDOUT ? out : err).writeBytes(m.getChunk().getData().toByteArray());
        } else if (m.hasExit()) {
          result = m.getExit();
        }
      }
      assertThat(result).as("the exit message").isNotNull();
      assertThat(messages.getLast().hasExit()).as("exit is the last message").isTrue();
      return new Exec(out.toByteArray(), err.toByteArray(), result);
    }

    String stdout() {
      return new String(out, StandardCharsets.UTF_8);
    }

    String stderr() {
      return new String(err, StandardCharsets.UTF_8);
    }
  }

  /**
   * A blocking client over the generated method descriptors: unlike the generated convenience client it
   * sends an API key and keeps the server's status message.
   */
  static final class Client {
    private final GrpcClient client;
    private final SocketAddress server;
    private final Context context;
    private final String key;

    Client(Vertx vertx, int port, String key) {
      this.client = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(256 << 20));
      this.server = SocketAddress.inetSocketAddress(port, "127.0.0.1");
      this.context = vertx.getOrCreateContext();
      this.key = key;
    }

    <Q, R> Call<Q, R> open(ServiceMethod<R, Q> method) {
      Promise<GrpcClientRequest<Q, R>> opened = Promise.promise();
      Call<Q, R> call = new Call<>(context);
      context.runOnContext(v -> client.request(server, method).onComplete(request -> {
        request.headers().set("authorization", "Bearer " + key);
        request.response().onComplete(response -> {
          response.handler(call.messages::add);
          response.exceptionHandler(call.status::tryFail);
          response.endHandler(end -> {
            if (response.status() == GrpcStatus.OK) {
              call.status.tryComplete(List.copyOf(call.messages));
            } else {
              call.status.tryFail(new PhantomException(response.status(), response.statusMessage()));
            }
          });
        }, call.status::tryFail);
        opened.complete(request);
      }, opened::fail));
      call.request = EmbeddedMesh.await(opened.future());
      return call;
    }

    <Q, R> R unary(ServiceMethod<R, Q> method, Q request) {
      Call<Q, R> call = open(method);
      call.send(request);
      return call.finish().getFirst();
    }

    Sandbox create(CreateSandboxRequest request) {
      return unary(SandboxApiGrpcClient.CreateSandbox, request);
    }

    void destroy(String id) {
      unary(SandboxApiGrpcClient.DestroySandbox, DestroySandboxRequest.newBuilder().setSandboxId(id).build());
    }

    Exec exec(String id, String... argv) {
      return exec(id, null, argv);
    }

    Exec exec(String id, Duration timeout, String... argv) {
      ExecStart.Builder start = ExecStart.newBuilder().setSandboxId(id).addAllArgv(List.of(argv));
      if (timeout != null) {
        start.setTimeout(timeout);
      }
      Call<ExecInput, ExecOutput> call = open(SandboxApiGrpcClient.Exec);
      call.send(ExecInput.newBuilder().setStart(start).build());
      return Exec.of(call.finish());
    }

    byte[] readFile(String id, String path) {
      Call<ReadFileRequest, FileChunk> call = open(SandboxApiGrpcClient.ReadFile);
      call.send(ReadFileRequest.newBuilder().setSandboxId(id).setPath(path).build());
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (FileChunk chunk : call.finish()) {
        assertThat(chunk.getOffset()).isEqualTo(out.size());
        out.writeBytes(chunk.getData().toByteArray());
      }
      return out.toByteArray();
    }

    byte[] download(String id, String path) {
      Call<DownloadArchiveRequest, ArchiveChunk> call = open(SandboxApiGrpcClient.DownloadArchive);
      call.send(DownloadArchiveRequest.newBuilder().setSandboxId(id).setPath(path).build());
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      call.finish().forEach(chunk -> out.writeBytes(chunk.getData().toByteArray()));
      return out.toByteArray();
    }

    UploadArchiveResponse upload(String id, String path, byte[] archive) {
      Call<ArchiveChunk, UploadArchiveResponse> call = open(SandboxApiGrpcClient.UploadArchive);
      call.send(ArchiveChunk.newBuilder().setStart(ArchiveStart.newBuilder().setSandboxId(id).setPath(path)).build());
      for (int off = 0; off < archive.length; off += 1000) {
        call.send(ArchiveChunk.newBuilder().setData(ByteString.copyFrom(archive, off, Math.min(1000, archive.length - off))).build());
      }
      return call.finish().getFirst();
    }
  }

  /** One call in flight: messages written from the test thread, responses collected. */
  static final class Call<Q, R> {
    private final Context context;
    final List<R> messages = new CopyOnWriteArrayList<>();
    final Promise<List<R>> status = Promise.promise();
    GrpcClientRequest<Q, R> request;

    Call(Context context) {
      this.context = context;
    }

    void send(Q message) {
      context.runOnContext(v -> request.write(message));
    }

    void awaitMessages(int count) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (messages.size() < count && !status.future().isComplete() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(messages.size()).as("messages received").isGreaterThanOrEqualTo(count);
    }

    /** Half-closes and waits for the status: the messages on OK, the status as a PhantomException otherwise. */
    List<R> finish() {
      context.runOnContext(v -> request.end());
      return EmbeddedMesh.await(status.future());
    }
  }
}
