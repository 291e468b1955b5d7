package dev.phantom.gateway;

import com.google.protobuf.ByteString;
import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.ExecStart;
import dev.phantom.api.v1.ListFilesRequest;
import dev.phantom.api.v1.ListFilesResponse;
import dev.phantom.api.v1.ListProfilesResponse;
import dev.phantom.api.v1.OutputChunk;
import dev.phantom.api.v1.OutputStream;
import dev.phantom.api.v1.ReadFileRequest;
import dev.phantom.api.v1.RunCodeRequest;
import dev.phantom.api.v1.RunEvent;
import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.api.v1.WriteFilesRequest;
import io.vertx.core.Future;
import java.util.function.Consumer;

/**
 * What the front doors (gRPC, REST, MCP) offer, whether the runs happen through this gateway's own
 * coordinator or through a remote gateway's gRPC API. Failures are {@link dev.phantom.support.PhantomException}s.
 *
 * <p>The session operations act on sandboxes that outlive one call; each belongs to the caller that
 * created it, and is NOT_FOUND to anyone else.
 */
public interface SandboxOperations {

  /** The most of each output stream an {@link #exec} keeps; past it the rest is counted, not kept. */
  int MAX_EXEC_OUTPUT_BYTES = 1 << 20;

  Future<RunResult> run(RunRequest request);

  /** Streams a run; {@code onEvent} sees every event, the future holds the exit. */
  Future<RunResult> runStream(RunRequest request, Consumer<RunEvent> onEvent);

  Future<RunResult> runCode(RunCodeRequest request);

  Future<ListProfilesResponse> listProfiles();

  /** Creates a sandbox that lives until destroyed or idle past its idle timeout. */
  Future<Sandbox> createSandbox(CreateSandboxRequest request);

  Future<Void> destroySandbox(String sandboxId);

  /** Stores the sandbox's workspace in the fragment store; the snapshot's id forks it (CreateSandbox.from_snapshot). */
  Future<dev.phantom.api.v1.Snapshot> snapshotSandbox(String sandboxId);

  /**
   * Runs a command in a sandbox with no standard input and waits for it to end; the result carries its
   * collected output (at most {@link #MAX_EXEC_OUTPUT_BYTES} of each stream, flagged truncated past it).
   * Processes it left in the background keep running in the sandbox.
   */
  Future<RunResult> exec(ExecStart start);

  Future<Void> writeFiles(WriteFilesRequest request);

  /** The whole file's content. */
  Future<ByteString> readFile(ReadFileRequest request);

  Future<ListFilesResponse> listFiles(ListFilesRequest request);

  /**
   * These operations on behalf of {@code owner}, for transports that admit a caller per session. By
   * default the same operations: a remote gateway's client is its key's caller already.
   */
  default SandboxOperations forOwner(String owner) {
    return this;
  }

  /** Gathers an exec's output chunks into its result, within {@link #MAX_EXEC_OUTPUT_BYTES} a stream. */
  final class ExecOutputCollector implements Consumer<OutputChunk> {
    private final ByteString.Output stdout = ByteString.newOutput();
    private final ByteString.Output stderr = ByteString.newOutput();
    private long stdoutBytes;
    private long stderrBytes;

    @Override
    public synchronized void accept(OutputChunk chunk) {
      boolean err = chunk.getStream() == OutputStream.OUTPUT_STREAM_STDERR;
      ByteString.Output out = err ? stderr : stdout;
      ByteString data = chunk.getData();
      int room = MAX_EXEC_OUTPUT_BYTES - out.size();
      if (room > 0) {
        byte[] kept = data.substring(0, Math.min(room, data.size())).toByteArray();
        out.write(kept, 0, kept.length);
      }
      if (err) {
        stderrBytes += data.size();
      } else {
        stdoutBytes += data.size();
      }
    }

    /** The exit, with the output gathered here unless it carries its own. */
    public synchronized RunResult complete(RunResult exit) {
      RunResult.Builder result = exit.toBuilder();
      if (exit.getStdout().isEmpty() && stdoutBytes > 0) {
        result.setStdout(stdout.toByteString()).setStdoutBytes(stdoutBytes)
            .setStdoutTruncated(exit.getStdoutTruncated() || stdoutBytes > stdout.size());
      }
      if (exit.getStderr().isEmpty() && stderrBytes > 0) {
        result.setStderr(stderr.toByteString()).setStderrBytes(stderrBytes)
            .setStderrTruncated(exit.getStderrTruncated() || stderrBytes > stderr.size());
      }
      return result.build();
    }
  }
}
