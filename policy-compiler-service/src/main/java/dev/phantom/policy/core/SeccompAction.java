package dev.phantom.policy.core;

/** What the filter answers for a syscall: the {@code SECCOMP_RET_*} value of a {@code RET} instruction. */
public sealed interface SeccompAction {

  /** The 32-bit value the filter returns. */
  int returnValue();

  /** Canonical spelling, as in profiles. */
  String describe();

  record Allow() implements SeccompAction {
    public int returnValue() { return Seccomp.RET_ALLOW; }
    public String describe() { return "allow"; }
  }

  /** Let the call through but have the kernel log it (audit). */
  record Log() implements SeccompAction {
    public int returnValue() { return Seccomp.RET_LOG; }
    public String describe() { return "log"; }
  }

  /** Fail the call with {@code -errno} without running it. */
  record Errno(int errno) implements SeccompAction {
    public Errno {
      if (errno < 1 || errno > 4095) {
        throw new IllegalArgumentException("errno must be in 1..4095, not " + errno);
      }
    }
    public int returnValue() { return Seccomp.RET_ERRNO | (errno & Seccomp.RET_DATA_MASK); }
    public String describe() { return "errno " + dev.phantom.policy.core.Errno.name(errno); }
  }

  /** Deliver SIGSYS to the calling thread. */
  record Trap() implements SeccompAction {
    public int returnValue() { return Seccomp.RET_TRAP; }
    public String describe() { return "trap"; }
  }

  record KillThread() implements SeccompAction {
    public int returnValue() { return Seccomp.RET_KILL_THREAD; }
    public String describe() { return "kill-thread"; }
  }

  record KillProcess() implements SeccompAction {
    public int returnValue() { return Seccomp.RET_KILL_PROCESS; }
    public String describe() { return "kill-process"; }
  }

  SeccompAction ALLOW = new Allow();
  SeccompAction KILL_PROCESS = new KillProcess();

  static SeccompAction errno(int errno) {
    return new Errno(errno);
  }
}
