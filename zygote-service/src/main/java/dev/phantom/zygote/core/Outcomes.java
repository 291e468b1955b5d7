package dev.phantom.zygote.core;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Decides a run's status from what was observed. Pure, so every case is table-tested. */
public final class Outcomes {

  /** Longest failure message taken from bubblewrap's stderr. */
  static final int MAX_MESSAGE_CHARS = 1000;

  private Outcomes() {}

  /** A status and its message. */
  public record Verdict(RunOutcome.Status status, String message) {}

  /**
   * @param killedBy why the zygote tried to kill the sandbox, or null when it did not
   * @param bwrap how the bubblewrap process ended
   * @param status what bubblewrap reported on its status fd
   * @param stderr the command's (or bubblewrap's) kept standard error
   * @param timeout the run's timeout, for the message
   */
  public static Verdict classify(KillReason killedBy, Termination bwrap, BwrapStatus status, byte[] stderr, Duration timeout) {
    return classify(killedBy, bwrap, status, stderr, timeout, 0, 0);
  }

  /**
   * @param oomKills processes the OOM killer killed in the sandbox's cgroup
   * @param memoryLimit the sandbox's memory limit, for the message (0 = none)
   */
  public static Verdict classify(KillReason killedBy, Termination bwrap, BwrapStatus status, byte[] stderr, Duration timeout,
      long oomKills, long memoryLimit) {
    Verdict verdict = classifyIgnoringMemory(killedBy, bwrap, status, stderr, timeout);
    if (oomKills <= 0) {
      return verdict;
    }
    String oom = "the OOM killer killed " + oomKills + (oomKills == 1 ? " process" : " processes")
        + " of the sandbox" + (memoryLimit > 0 ? " at its memory limit of " + memoryLimit + " bytes" : "");
    // A timeout or cancel that came on top stays the reason the run ended; the OOM is mentioned.
    if (verdict.status() == RunOutcome.Status.TIMEOUT || verdict.status() == RunOutcome.Status.KILLED) {
      return new Verdict(verdict.status(), verdict.message() + "; " + oom);
    }
    return new Verdict(RunOutcome.Status.OOM_KILLED, oom);
  }

  private static Verdict classifyIgnoringMemory(KillReason killedBy, Termination bwrap, BwrapStatus status, byte[] stderr,
      Duration timeout) {
    // A kill that raced with a natural exit found bubblewrap already gone: the run ended by itself.
    if (killedBy != null && bwrap instanceof Termination.Signaled) {
      return switch (killedBy) {
        case TIMEOUT -> new Verdict(RunOutcome.Status.TIMEOUT, "killed after the timeout of " + timeout.toMillis() + " ms");
        case CANCELLED -> new Verdict(RunOutcome.Status.KILLED, "cancelled by the caller");
        case SHUTDOWN -> new Verdict(RunOutcome.Status.KILLED, "the zygote node is stopping");
        case SETUP -> new Verdict(RunOutcome.Status.FAILED_TO_START, "the zygote could not finish the sandbox's setup");
      };
    }
    if (status.exitCode().isPresent()) {
      return new Verdict(RunOutcome.Status.OK, "");
    }
    return switch (bwrap) {
      case Termination.Signaled s ->
          new Verdict(RunOutcome.Status.KILLED, "bubblewrap was killed by signal " + s.signal() + " from outside the zygote");
      case Termination.Exited e when e.code() == 0 -> new Verdict(RunOutcome.Status.OK, "");
      case Termination.Exited e -> new Verdict(RunOutcome.Status.FAILED_TO_START, setupFailure(stderr, e.code()));
    };
  }

  /** bubblewrap prefixes its own errors with "bwrap: "; those lines name the failing step and path. */
  static String setupFailure(byte[] stderr, int exitCode) {
    String text = new String(stderr, StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder();
    for (String line : text.split("\n")) {
      if (line.startsWith("bwrap: ")) {
        out.append(out.isEmpty() ? "" : "; ").append(line);
      }
    }
    String message = out.isEmpty()
        ? "bubblewrap exited with code " + exitCode + " before the command ran" + (text.isBlank() ? "" : ": " + text.strip())
        : out.toString();
    return message.length() > MAX_MESSAGE_CHARS ? message.substring(0, MAX_MESSAGE_CHARS) + "…" : message;
  }
}
