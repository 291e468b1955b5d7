package dev.phantom.gateway.session;

import dev.phantom.api.v1.ListSandboxesResponse;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.proto.orchestrator.v1.ListNodesRequest;
import dev.phantom.proto.orchestrator.v1.NodeList;
import dev.phantom.proto.orchestrator.v1.NodeLost;
import dev.phantom.proto.orchestrator.v1.NodeStatus;
import dev.phantom.proto.orchestrator.v1.PlaceRequest;
import dev.phantom.proto.orchestrator.v1.Placement;
import dev.phantom.proto.zygote.v1.ExecControl;
import dev.phantom.proto.zygote.v1.ExecDone;
import dev.phantom.proto.zygote.v1.ExecEvent;
import dev.phantom.proto.zygote.v1.ExecRequest;
import dev.phantom.proto.zygote.v1.SessionCall;
import dev.phantom.proto.zygote.v1.SessionReply;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.support.bus.SnapshotTags;
import dev.phantom.proto.store.v1.DeleteTagRequest;
import dev.phantom.proto.store.v1.DeleteTagResponse;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.grpc.common.GrpcStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Routes session calls to the zygote node holding the session. A sandbox id is
 * {@code <node-id>.<26 base32 letters>}, so any gateway finds the node without a registry; the caller's
 * name goes along as the owner, and the node answers NOT_FOUND to anyone else. Every method runs on the
 * gateway verticle's event loop, which owns the map below.
 */
public final class SessionCoordinator {

  private static final long CALL_TIMEOUT_MS = 60_000;
  /** After the node's reply, how long an exec's final event may still be on its way. */
  private static final long EXIT_EVENT_GRACE_MS = 5_000;
  /** Bus wait for an exec with no timeout of its own (streamed file calls): the node bounds it anyway. */
  private static final long EXEC_WAIT_MS = 3_600_000;

  private final EventBus bus;
  private final Vertx vertx;
  private final long graceMs;
  private final Map<String, Set<ExecCall>> execsByNode = new HashMap<>();

  /** @param graceMs how long past an exec's own timeout the node is waited for */
  public SessionCoordinator(Vertx vertx, long graceMs) {
    this.vertx = vertx;
    this.bus = vertx.eventBus();
    this.graceMs = graceMs;
  }

  /** Listens for lost nodes, so that execs on them fail with UNAVAILABLE at once. */
  public void register() {
    BusRpc.listen(bus, Addresses.ORCHESTRATOR_NODE_LOST, NodeLost.parser(), this::onNodeLost);
  }

  /** The node part of a sandbox id, or empty when the id cannot be one. */
  static Optional<String> nodeOf(String sandboxId) {
    int dot = sandboxId.lastIndexOf('.');
    if (dot <= 0 || sandboxId.length() - dot - 1 != 26) {
      return Optional.empty();
    }
    return Optional.of(sandboxId.substring(0, dot));
  }

  private static Future<String> route(String sandboxId) {
    return nodeOf(sandboxId).map(Future::succeededFuture)
        .orElseGet(() -> Future.failedFuture(PhantomException.notFound("no sandbox " + sandboxId)));
  }

  /** Places the session on the least-loaded node and creates it there. */
  public Future<Sandbox> create(String owner, dev.phantom.api.v1.CreateSandboxRequest request) {
    if (request.getProfile().isBlank()) {
      return Future.failedFuture(PhantomException.invalidArgument("profile is required"));
    }
    if (!request.getFromSnapshot().isEmpty()) {
      try {
        SnapshotTags.requireId(request.getFromSnapshot());
      } catch (PhantomException e) {
        return Future.failedFuture(e);
      }
    }
    return BusRpc.request(bus, Addresses.ORCHESTRATOR_PLACE, PlaceRequest.newBuilder().setProfile(request.getProfile()).build(),
            Placement.parser(), CALL_TIMEOUT_MS)
        .compose(placement -> send(placement.getNodeId(),
            SessionCall.newBuilder().setOwner(owner).setCreate(request).build())
            .andThen(done -> dev.phantom.gateway.Placements.done(bus, placement, 0, done.cause())))
        .map(SessionReply::getSandbox);
  }

  /** Stores the sandbox's workspace in the fragment store, on the sandbox's node. */
  public Future<dev.phantom.api.v1.Snapshot> snapshot(String owner, String sandboxId) {
    return call(sandboxId, SessionCall.newBuilder().setOwner(owner)
        .setSnapshot(dev.phantom.api.v1.SnapshotSandboxRequest.newBuilder().setSandboxId(sandboxId)).build())
        .map(SessionReply::getSnapshot);
  }

  /** Drops the owner's tag on a snapshot; its chunks go at the next GC unless something else keeps them. */
  public Future<Void> deleteSnapshot(String owner, String snapshotId) {
    String tag;
    try {
      tag = SnapshotTags.tag(owner, snapshotId);
    } catch (PhantomException e) {
      return Future.failedFuture(e);
    }
    return BusRpc.request(bus, Addresses.STORE_TAG_DELETE, DeleteTagRequest.newBuilder().setTag(tag).build(),
            DeleteTagResponse.parser(), CALL_TIMEOUT_MS)
        .recover(failure -> Future.failedFuture(failure instanceof PhantomException p && p.status() == GrpcStatus.NOT_FOUND
            ? PhantomException.notFound("no snapshot " + snapshotId) : failure))
        .mapEmpty();
  }

  /** A unary call about one sandbox, on its node. */
  public Future<SessionReply> call(String sandboxId, SessionCall call) {
    return route(sandboxId).compose(node -> send(node, call));
  }

  private Future<SessionReply> send(String node, SessionCall call) {
    return BusRpc.request(bus, Addresses.zygoteSession(node), call, SessionReply.parser(), CALL_TIMEOUT_MS)
        .recover(failure -> Future.failedFuture(failure instanceof PhantomException p && p.status() == GrpcStatus.UNAVAILABLE
            && p.getMessage().startsWith("no node serves")
            ? PhantomException.unavailable("the node holding this sandbox (" + node + ") is not reachable: " + p.getMessage())
            : failure));
  }

  /** Every ready node's sessions of {@code owner} carrying all {@code labels}, oldest first. */
  public Future<ListSandboxesResponse> list(String owner, Map<String, String> labels) {
    SessionCall call = SessionCall.newBuilder().setOwner(owner)
        .setList(dev.phantom.api.v1.ListSandboxesRequest.newBuilder().putAllLabels(labels)).build();
    return BusRpc.request(bus, Addresses.ORCHESTRATOR_NODES, ListNodesRequest.getDefaultInstance(), NodeList.parser(),
            CALL_TIMEOUT_MS)
        .compose(nodes -> {
          List<Future<SessionReply>> replies = new ArrayList<>();
          for (NodeStatus node : nodes.getNodesList()) {
            if (node.getReady()) {
              // A node that does not answer is left out rather than failing the whole list.
              replies.add(send(node.getNodeId(), call).otherwise(SessionReply.getDefaultInstance()));
            }
          }
          return Future.all(replies).map(all -> {
            List<Sandbox> sandboxes = new ArrayList<>();
            replies.forEach(r -> sandboxes.addAll(r.result().getSandboxes().getSandboxesList()));
            sandboxes.sort(Comparator.comparingLong((Sandbox s) -> s.getCreatedAt().getSeconds())
                .thenComparingInt(s -> s.getCreatedAt().getNanos()));
            return ListSandboxesResponse.newBuilder().addAllSandboxes(sandboxes).build();
          });
        });
  }

  /**
   * Starts an exec (a command, or a streamed file call) on the sandbox's node. {@code output} gets each
   * output event; the call's {@link ExecCall#done()} holds the end.
   *
   * @param waitMs how long the exec may run on the node (its timeout), 0 when the node decides
   */
  public ExecCall exec(String owner, String sandboxId, ExecRequest.Builder request, long waitMs,
      Consumer<dev.phantom.api.v1.OutputChunk> output) {
    ExecCall exec = new ExecCall(UUID.randomUUID().toString().replace("-", ""));
    Optional<String> node = nodeOf(sandboxId);
    if (node.isEmpty()) {
      exec.done.fail(PhantomException.notFound("no sandbox " + sandboxId));
      return exec;
    }
    exec.node = node.get();
    String address = Addresses.execEvents(exec.id);
    MessageConsumer<Buffer> events = BusRpc.listen(bus, address, ExecEvent.parser(), event -> {
      switch (event.getEventCase()) {
        case STARTED -> exec.started();
        case OUTPUT -> {
          if (!exec.done.future().isComplete()) {
            output.accept(event.getOutput());
          }
        }
        case EXIT -> exec.done.tryComplete(event.getExit());
        case FAILED -> exec.done.tryFail(new PhantomException(status(event.getFailed().getStatus()),
            event.getFailed().getMessage()));
        case EVENT_NOT_SET -> { }
      }
    });
    Set<ExecCall> onNode = execsByNode.computeIfAbsent(exec.node, n -> new HashSet<>());
    onNode.add(exec);
    ExecRequest full = request.setOwner(owner).setSandboxId(sandboxId).setExecId(exec.id).setEventsAddress(address).build();
    events.completion()
        .compose(registered -> BusRpc.request(bus, Addresses.zygoteExec(exec.node), full, ExecDone.parser(),
            (waitMs > 0 ? waitMs : EXEC_WAIT_MS) + graceMs))
        .onComplete(reply -> {
          // The exit event normally arrives before or right after the reply; never wait for it forever.
          vertx.setTimer(EXIT_EVENT_GRACE_MS, id -> exec.done.tryComplete(reply));
        }, failure -> {
          if (!exec.startedOnNode) {
            exec.done.tryFail(failure);
          } else {
            vertx.setTimer(EXIT_EVENT_GRACE_MS, id -> exec.done.tryFail(failure));
          }
        });
    exec.done.future().onComplete(done -> {
      events.unregister();
      onNode.remove(exec);
      if (onNode.isEmpty()) {
        execsByNode.remove(exec.node);
      }
    });
    return exec;
  }

  private static GrpcStatus status(int code) {
    GrpcStatus status = GrpcStatus.valueOf(code);
    return status == null ? GrpcStatus.UNKNOWN : status;
  }

  private void onNodeLost(NodeLost lost) {
    Set<ExecCall> execs = execsByNode.remove(lost.getNodeId());
    if (execs == null) {
      return;
    }
    for (ExecCall exec : Set.copyOf(execs)) {
      exec.done.tryFail(PhantomException.unavailable("zygote node " + lost.getNodeId()
          + " was lost while running the exec (" + lost.getReason() + "); its sandbox is gone"));
    }
  }

  /** One exec in flight: input goes to its node once the node has registered it. */
  public final class ExecCall {
    private final String id;
    private final Promise<ExecDone> done = Promise.promise();
    private final List<ExecControl> queued = new ArrayList<>();
    private String node;
    private boolean startedOnNode;

    private ExecCall(String id) {
      this.id = id;
    }

    /** The end: the exit (with the result), or the failure's status. */
    public Future<ExecDone> done() {
      return done.future();
    }

    public void stdin(com.google.protobuf.ByteString data) {
      control(ExecControl.newBuilder().setStdin(data));
    }

    public void closeStdin() {
      control(ExecControl.newBuilder().setCloseStdin(true));
    }

    public void signal(int signal) {
      control(ExecControl.newBuilder().setSignal(signal));
    }

    /** The caller went away: the node kills the exec's process group. */
    public void cancel() {
      control(ExecControl.newBuilder().setCancel(true));
    }

    private void control(ExecControl.Builder control) {
      if (done.future().isComplete() || node == null) {
        return;
      }
      ExecControl message = control.setExecId(id).build();
      if (startedOnNode) {
        BusRpc.send(bus, Addresses.zygoteExecControl(node), message);
      } else {
        queued.add(message);
      }
    }

    private void started() {
      startedOnNode = true;
      queued.forEach(m -> BusRpc.send(bus, Addresses.zygoteExecControl(node), m));
      queued.clear();
    }
  }
}
