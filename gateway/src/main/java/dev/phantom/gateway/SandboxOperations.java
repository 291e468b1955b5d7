package dev.phantom.gateway;

import dev.phantom.api.v1.ListProfilesResponse;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunEvent;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import io.vertx.core.Future;
import java.util.function.Consumer;

/**
 * What the front doors (gRPC, REST, MCP) offer, whether the runs happen through this gateway's own
 * coordinator or through a remote gateway's gRPC API. Failures are {@link dev.phantom.support.PhantomException}s.
 */
public interface SandboxOperations {

  Future<RunResult> run(RunRequest request);

  /** Streams a run; {@code onEvent} sees every event, the future holds the exit. */
  Future<RunResult> runStream(RunRequest request, Consumer<RunEvent> onEvent);

  Future<RunResult> runCode(RunCodeRequest request);

  Future<ListProfilesResponse> listProfiles();
}
