package dev.phantom.zygote.bwrap;

import dev.phantom.zygote.core.OutputBudget;
import dev.phantom.zygote.core.OutputSink;
import java.util.Arrays;

/**
 * What one output stream of a run keeps: up to the output cap, handed to the sink when the run streams, and
 * the first bytes in every case (bubblewrap's own errors are told from them).
 */
final class StreamCapture {

  /** bubblewrap's setup errors are one or two short lines at the start of stderr. */
  static final int DIAGNOSTIC_HEAD_BYTES = 4096;

  /**
   * @param bytes what is kept for the result (nothing when streaming: the chunks went out already)
   * @param head the first bytes in every case, so bubblewrap's own error can be told even when streaming
   */
  record Captured(byte[] bytes, boolean truncated, byte[] head, long total) {}

  private final OutputSink.Stream stream;
  private final OutputSink sink;
  private final OutputBudget budget;
  private final BoundedBuffer kept;
  private final BoundedBuffer head;
  private long total;

  StreamCapture(OutputSink.Stream stream, OutputSink sink, long maxOutputBytes) {
    this.stream = stream;
    this.sink = sink;
    this.budget = new OutputBudget(maxOutputBytes);
    this.kept = sink == null ? new BoundedBuffer(maxOutputBytes) : null;
    this.head = sink == null ? null : new BoundedBuffer(DIAGNOSTIC_HEAD_BYTES);
  }

  /** Takes {@code n} bytes just read; what is over the cap is counted and dropped. */
  void accept(byte[] chunk, int n) {
    total += n;
    int keep = budget.admit(n);
    if (keep == 0) {
      return;
    }
    if (sink != null) {
      sink.chunk(stream, Arrays.copyOf(chunk, keep));
      head.append(chunk, Math.min(keep, DIAGNOSTIC_HEAD_BYTES - head.size()));
    } else {
      kept.append(chunk, keep);
    }
  }

  Captured captured() {
    byte[] bytes = kept == null ? new byte[0] : kept.toByteArray();
    return new Captured(bytes, budget.truncated(), head == null ? bytes : head.toByteArray(), total);
  }
}
