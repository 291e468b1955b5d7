package dev.phantom.zygote.bus;

import dev.phantom.api.v1.ListFilesResponse;
import dev.phantom.api.v1.ListSandboxesResponse;
import dev.phantom.proto.zygote.v1.ExecControl;
import dev.phantom.proto.zygote.v1.ExecEvent;
import dev.phantom.proto.zygote.v1.ExecRequest;
import dev.phantom.proto.zygote.v1.SessionCall;
import dev.phantom.proto.zygote.v1.SessionReply;
import dev.phantom.support.PhantomException;
import dev.phantom.support.bus.Addresses;
import dev.phantom.support.bus.BusRpc;
import dev.phantom.zygote.session.SessionManager;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.List;
import java.util.function.Consumer;

/**
 * Serves sessions over the event bus: {@code Addresses.zygoteSession(node)} (lifecycle and unary file
 * calls), {@code zygoteExec(node)} (execs and streamed file calls, events to the caller's address) and
 * {@code zygoteExecControl(node)} (stdin, signals, cancellation). Runs on the verticle's event loop.
 */
public final class SessionBusEndpoint {

  private static final SessionReply DONE = SessionReply.newBuilder().setDone(true).build();

  private final EventBus bus;
  private final String nodeId;
  private final SessionManager sessions;
  private List<MessageConsumer<Buffer>> consumers = List.of();

  public SessionBusEndpoint(EventBus bus, String nodeId, SessionManager sessions) {
    this.bus = bus;
    this.nodeId = nodeId;
    this.sessions = sessions;
  }

  public Future<Void> register() {
    consumers = List.of(
        BusRpc.serve(bus, Addresses.zygoteSession(nodeId), SessionCall.parser(), this::call),
        BusRpc.serve(bus, Addresses.zygoteExec(nodeId), ExecRequest.parser(), this::exec),
        BusRpc.listen(bus, Addresses.zygoteExecControl(nodeId), ExecControl.parser(), sessions::control));
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList()).mapEmpty();
  }

  public Future<Void> unregister() {
    return Future.all(consumers.stream().map(MessageConsumer::unregister).toList()).mapEmpty();
  }

  Future<SessionReply> call(SessionCall call) {
    String owner = call.getOwner();
    return switch (call.getCallCase()) {
      case CREATE -> sessions.create(owner, call.getCreate()).map(s -> SessionReply.newBuilder().setSandbox(s).build());
      case GET -> sessions.get(owner, call.getGet().getSandboxId()).map(s -> SessionReply.newBuilder().setSandbox(s).build());
      case KEEP_ALIVE -> sessions.keepAlive(owner, call.getKeepAlive().getSandboxId())
          .map(s -> SessionReply.newBuilder().setSandbox(s).build());
      case LIST -> Future.succeededFuture(SessionReply.newBuilder().setSandboxes(ListSandboxesResponse.newBuilder()
          .addAllSandboxes(sessions.list(owner, call.getList().getLabelsMap()))).build());
      case DESTROY -> sessions.destroy(owner, call.getDestroy().getSandboxId()).map(DONE);
      case WRITE_FILES -> sessions.writeFiles(owner, call.getWriteFiles().getSandboxId(), call.getWriteFiles().getFilesList())
          .map(DONE);
      case LIST_FILES -> sessions.listFiles(owner, call.getListFiles().getSandboxId(), call.getListFiles().getPath(),
          call.getListFiles().getRecursive()).map(files -> SessionReply.newBuilder()
          .setFiles(ListFilesResponse.newBuilder().addAllFiles(files)).build());
      case REMOVE_FILES -> sessions.removeFiles(owner, call.getRemoveFiles().getSandboxId(),
          call.getRemoveFiles().getPathsList(), call.getRemoveFiles().getRecursive()).map(DONE);
      case MAKE_DIRECTORIES -> sessions.makeDirectories(owner, call.getMakeDirectories().getSandboxId(),
          call.getMakeDirectories().getPathsList(), call.getMakeDirectories().getMode()).map(DONE);
      case SNAPSHOT -> sessions.snapshot(owner, call.getSnapshot().getSandboxId())
          .map(snap -> SessionReply.newBuilder().setSnapshot(snap).build());
      case CALL_NOT_SET -> Future.failedFuture(PhantomException.invalidArgument("the session call names no operation"));
    };
  }

  Future<dev.phantom.proto.zygote.v1.ExecDone> exec(ExecRequest request) {
    String address = request.getEventsAddress();
    Consumer<ExecEvent> events = address.isEmpty() ? event -> { } : event -> BusRpc.send(bus, address, event);
    return sessions.exec(request, events);
  }
}
