package dev.phantom.policy.core;

/**
 * The kernel's test of whether a filter always allows a syscall number on the native arch
 * ({@code seccomp_is_const_allow} in kernel/seccomp.c, 5.11+), redone here: it runs the program
 * with only {@code nr} and {@code arch} known, gives up on a load of anything else or an opcode it
 * does not emulate, and caches the number as "allowed, skip the filter" only when the path ends in
 * {@code RET ALLOW}. A syscall that passes here costs a bitmap test instead of a filter run.
 */
final class KernelActionCache {

  private KernelActionCache() {}

  static boolean alwaysAllowed(BpfProgram program, int nr, int auditArch) {
    int a = 0;
    for (int pc = 0; pc < program.size(); pc++) {
      BpfInstruction in = program.get(pc);
      switch (in.code()) {
        case Bpf.LD | Bpf.W | Bpf.ABS -> {
          if (in.k() == Seccomp.OFFSET_NR) {
            a = nr;
          } else if (in.k() == Seccomp.OFFSET_ARCH) {
            a = auditArch;
          } else {
            return false; // not a constant: the kernel runs the filter for this number
          }
        }
        case Bpf.RET | Bpf.K -> {
          return in.k() == Seccomp.RET_ALLOW;
        }
        case Bpf.JMP | Bpf.JA -> pc += in.k();
        case Bpf.JMP | Bpf.JEQ | Bpf.K, Bpf.JMP | Bpf.JGE | Bpf.K, Bpf.JMP | Bpf.JGT | Bpf.K,
            Bpf.JMP | Bpf.JSET | Bpf.K -> {
          boolean taken = switch (in.code() & 0xf0) {
            case Bpf.JEQ -> a == in.k();
            case Bpf.JGE -> Integer.compareUnsigned(a, in.k()) >= 0;
            case Bpf.JGT -> Integer.compareUnsigned(a, in.k()) > 0;
            default -> (a & in.k()) != 0;
          };
          pc += taken ? in.jt() : in.jf();
        }
        case Bpf.ALU | Bpf.AND | Bpf.K -> a &= in.k();
        default -> {
          return false;
        }
      }
    }
    return false;
  }
}
