package dev.phantom.gateway.cli;

import dev.phantom.gateway.client.SandboxClient.ExecCall;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Ctrl-C while {@code phantom exec} runs: the first is sent to the command in the sandbox as SIGINT
 * (it may trap it, clean up, or ignore it); a second within {@value #GIVE_UP_WITHIN_MS} ms gives up,
 * cancels the call (which kills the command's process group) and exits 130, as a shell would.
 * When SIGINT was ignored at start (a job started with '&amp;' by a non-interactive shell), the JVM
 * installs nothing and it stays ignored, as for any other program.
 */
final class Interrupts implements AutoCloseable {

  static final long GIVE_UP_WITHIN_MS = 1_000;
  static final int SIGINT = 2;
  static final int EXIT_INTERRUPTED = 128 + SIGINT;

  /** Whether a press gives up: the second within the window does. Time comes in, so it is testable. */
  static final class Presses {
    private final long windowNanos = TimeUnit.MILLISECONDS.toNanos(GIVE_UP_WITHIN_MS);
    private final LongSupplier nanos;
    private long last;
    private boolean pressed;

    Presses(LongSupplier nanos) {
      this.nanos = nanos;
    }

    synchronized boolean givesUp() {
      long now = nanos.getAsLong();
      boolean giveUp = pressed && now - last <= windowNanos;
      pressed = true;
      last = now;
      return giveUp;
    }
  }

  private final CompletableFuture<Integer> gaveUp = new CompletableFuture<>();
  private final Signal signal = new Signal("INT");
  private final SignalHandler previous;

  private Interrupts(ExecCall exec) {
    Presses presses = new Presses(System::nanoTime);
    SignalHandler installed;
    try {
      installed = Signal.handle(signal, sig -> {
        if (presses.givesUp()) {
          // First, so that the caller sees it before the failure the cancellation brings.
          gaveUp.complete(EXIT_INTERRUPTED);
          exec.cancel();
        } else {
          exec.signal(SIGINT);
        }
      });
    } catch (IllegalArgumentException e) {
      // The JVM keeps SIGINT for itself (-Xrs): Ctrl-C ends phantom and the call is reset, as before.
      installed = null;
    }
    this.previous = installed;
  }

  /** Forwards Ctrl-C to {@code exec} until closed. */
  static Interrupts forward(ExecCall exec) {
    return new Interrupts(exec);
  }

  /** Completes with the exit code once the user gave up. */
  CompletableFuture<Integer> gaveUp() {
    return gaveUp;
  }

  @Override
  public void close() {
    if (previous != null) {
      Signal.handle(signal, previous);
    }
  }
}
