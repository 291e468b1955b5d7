package dev.phantom.zygote.core;

/**
 * Receives output as it is read, for streamed runs. Called from the stream's reader thread, in order per
 * stream; it must not block for long (hop to an event loop and return).
 */
@FunctionalInterface
public interface OutputSink {

  /** Which output stream a chunk came from. */
  enum Stream {
    STDOUT,
    STDERR
  }

  /** {@code data} is owned by the sink from now on. */
  void chunk(Stream stream, byte[] data);
}
