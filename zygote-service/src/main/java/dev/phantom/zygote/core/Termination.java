package dev.phantom.zygote.core;

/** How a process ended, decoded from a wait status. */
public sealed interface Termination {

  /** Ended by {@code exit(code)}. */
  record Exited(int code) implements Termination {}

  /** Ended by signal {@code signal}. */
  record Signaled(int signal) implements Termination {}

  /** Decodes a Linux wait status word as returned by {@code waitpid}. */
  static Termination fromWaitStatus(int status) {
    int signal = status & 0x7f;
    return signal == 0 ? new Exited((status >> 8) & 0xff) : new Signaled(signal);
  }
}
