package dev.phantom.zygote.core;

/** Why the zygote killed a sandbox before it ended by itself. */
public enum KillReason {
  /** The run's wall-clock timeout passed. */
  TIMEOUT,
  /** The caller cancelled the run. */
  CANCELLED,
  /** The node is stopping. */
  SHUTDOWN,
  /** The zygote could not finish the sandbox's setup (cgroup placement, rlimits) before releasing it. */
  SETUP
}
