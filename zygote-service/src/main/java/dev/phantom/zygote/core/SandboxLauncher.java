package dev.phantom.zygote.core;

import java.util.concurrent.CompletionStage;

/**
 * Starts sandboxes (the port the bus endpoint talks to; {@code bwrap.BwrapLauncher} is the real one).
 * {@link #launch} blocks for the time of a process spawn (about a millisecond): call it off the event loop.
 */
public interface SandboxLauncher {

  /**
   * Starts {@code run} under {@code profile}. With a {@code sink}, output is handed to it and not kept in
   * the outcome; without one (null), up to {@code run.maxOutputBytes()} per stream is kept.
   *
   * @throws ZygoteException when the sandbox cannot be attempted (invalid request, bubblewrap missing, spawn failure)
   */
  Running launch(SandboxProfile profile, RunSpec run, OutputSink sink);

  /**
   * Starts {@code run} with its standard input left open for the caller to write to, for as long as the
   * sandbox lives ({@code run.stdin()} is ignored): the control channel of a session's agent.
   */
  default Interactive launchInteractive(SandboxProfile profile, RunSpec run, OutputSink sink) {
    throw new UnsupportedOperationException("this launcher has no interactive sandboxes");
  }

  /** A started sandbox whose standard input stays open. */
  interface Interactive extends Running {

    /**
     * Writes {@code data} to the sandbox's standard input without ever blocking.
     *
     * @return false when it did not fit in the pipe, or the input is closed (the reader is not reading)
     */
    boolean write(byte[] data);

    /** Closes the standard input; the reader sees end of file. */
    void closeInput();
  }

  /** A sandbox that was started. */
  interface Running {

    String runId();

    /** Completes once the sandbox and every process in it are gone, and all output was read. */
    CompletionStage<RunOutcome> outcome();

    /**
     * Completes once, after the outcome, the run's workspace is unmounted and its cgroup removed: the
     * outcome goes to the caller without waiting for that cleanup.
     */
    default CompletionStage<Void> released() {
      return outcome().handle((outcome, failure) -> null);
    }

    /** Kills the whole sandbox; the first reason given wins. Does nothing once it has ended. */
    void kill(KillReason reason);

    /** The host directory seen as the workspace inside, when the sandbox has one made by the launcher. */
    default java.util.Optional<java.nio.file.Path> workspaceDir() {
      return java.util.Optional.empty();
    }

    /**
     * Freezes (true) or thaws every process of the sandbox, waiting at most {@code timeoutMillis}; false
     * when it cannot be frozen (no cgroup v2) or did not freeze in time.
     */
    default boolean freeze(boolean frozen, long timeoutMillis) {
      return false;
    }
  }
}
