package dev.phantom.loadtest;

import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.ResourceLimits;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/** The suite's own gRPC calls: I/O runs and idle sessions. */
final class BenchClient implements AutoCloseable {

  private final Vertx vertx = Vertx.vertx();
  private final Api api;

  BenchClient(String gateway) {
    api = new Api(vertx, LoadTest.address(gateway), null, 300_000);
  }

  /** Runs the script in a minimal sandbox (on a host workspace when given); its output. */
  String run(String hostWorkspace, String script) throws Exception {
    RunResult r = await(api.run(RunRequest.newBuilder().setProfile("minimal").addArgv("sh").addArgv("-c").addArgv(script)
        .setHostWorkspace(hostWorkspace).setLimits(ResourceLimits.newBuilder().setMemoryBytes(512L << 20))
        .setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(60)).build()));
    if (r.getStatus() != RunStatus.RUN_STATUS_OK || r.getExitCode() != 0) {
      throw new IllegalStateException("the I/O run failed: " + r.getStatus() + " " + r.getMessage() + " "
          + r.getStdout().toStringUtf8() + r.getStderr().toStringUtf8());
    }
    return r.getStdout().toStringUtf8();
  }

  /** Creates n idle sessions, eight at a time. */
  List<String> createSessions(int n) throws Exception {
    List<String> ids = Collections.synchronizedList(new ArrayList<>());
    Semaphore slots = new Semaphore(8);
    List<Future<?>> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      slots.acquire();
      all.add(api.create(CreateSandboxRequest.newBuilder().setProfile("minimal").putLabels("created-by", "bench-suite").build())
          .onSuccess(s -> ids.add(s.getId())).andThen(x -> slots.release()));
    }
    try {
      await(Future.all(all));
    } catch (Exception e) {
      destroy(ids);
      throw new IllegalStateException("could not create " + n + " sessions (" + ids.size() + " made): " + e.getMessage(), e);
    }
    return ids;
  }

  void destroy(List<String> ids) throws Exception {
    Semaphore slots = new Semaphore(16);
    List<Future<?>> all = new ArrayList<>();
    for (String id : List.copyOf(ids)) {
      slots.acquire();
      all.add(api.destroy(id).andThen(x -> slots.release()));
    }
    await(Future.join(all));
  }

  private static <T> T await(Future<T> f) throws Exception {
    try {
      return f.toCompletionStage().toCompletableFuture().get(600, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception ex ? ex : e;
    }
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
