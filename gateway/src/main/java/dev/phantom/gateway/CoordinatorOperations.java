package dev.phantom.gateway;

import dev.phantom.api.v1.ListProfilesResponse;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunEvent;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.function.Consumer;

/**
 * {@link SandboxOperations} through this gateway's own coordinator, for front doors in the same
 * verticle (REST, MCP over HTTP). Must be called on the gateway verticle's event loop.
 */
public final class CoordinatorOperations implements SandboxOperations {

  private final RunCoordinator coordinator;
  private final Future<Void> cancelled;

  /** @param cancelled completing it kills what these operations started (e.g. the caller went away) */
  public CoordinatorOperations(RunCoordinator coordinator, Future<Void> cancelled) {
    this.coordinator = coordinator;
    this.cancelled = cancelled;
  }

  /** Operations that are never cancelled from outside; runs still end at their timeouts. */
  public static CoordinatorOperations uncancellable(RunCoordinator coordinator) {
    return new CoordinatorOperations(coordinator, Promise.<Void>promise().future());
  }

  @Override
  public Future<RunResult> run(RunRequest request) {
    return coordinator.run(request, cancelled);
  }

  @Override
  public Future<RunResult> runStream(RunRequest request, Consumer<RunEvent> onEvent) {
    RunResult[] exit = new RunResult[1];
    return coordinator.runStream(request, event -> {
      if (event.hasExit()) {
        exit[0] = event.getExit();
      }
      onEvent.accept(event);
    }, cancelled).map(done -> exit[0]);
  }

  @Override
  public Future<RunResult> runCode(RunCodeRequest request) {
    return coordinator.runCode(request, cancelled);
  }

  @Override
  public Future<ListProfilesResponse> listProfiles() {
    return coordinator.listProfiles();
  }
}
