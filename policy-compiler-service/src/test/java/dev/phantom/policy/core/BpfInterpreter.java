package dev.phantom.policy.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A classic-BPF interpreter for seccomp programs, covering only the opcodes the compiler emits
 * (LD|W|ABS, ALU AND K, JMP JEQ/JGT/JGE/JSET with K, JA, RET|K). Anything else, a jump or load out of range,
 * or running off the end is an error, as the kernel's verifier would refuse it.
 */
final class BpfInterpreter {

  private BpfInterpreter() {}

  /** A {@code struct seccomp_data} for a little-endian host. */
  static ByteBuffer data(int nr, int auditArch, long ip, long... args) {
    ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    data.putInt(0, nr).putInt(4, auditArch).putLong(8, ip);
    for (int i = 0; i < args.length; i++) {
      data.putLong(16 + 8 * i, args[i]);
    }
    return data;
  }

  static int run(BpfProgram program, int nr, int auditArch) {
    return run(program, data(nr, auditArch, 0));
  }

  static int run(BpfProgram program, int nr, int auditArch, long[] args) {
    return run(program, data(nr, auditArch, 0, args));
  }

  static int run(BpfProgram program, ByteBuffer data) {
    return run(program, data, null);
  }

  /** Whether the path taken for this syscall number loads anything past {@code arch} (arguments, ip). */
  static boolean readsBeyondNrAndArch(BpfProgram program, int nr, int auditArch) {
    boolean[] beyond = {false};
    run(program, data(nr, auditArch, 0), offset -> beyond[0] |= offset >= 8);
    return beyond[0];
  }

  static int run(BpfProgram program, ByteBuffer data, java.util.function.IntConsumer onLoad) {
    int a = 0;
    int pc = 0;
    for (int steps = 0; steps <= program.size(); steps++) {
      if (pc < 0 || pc >= program.size()) {
        throw new IllegalStateException("pc " + pc + " outside the program (" + program.size() + " instructions)");
      }
      BpfInstruction in = program.get(pc);
      int code = in.code();
      switch (code & 0x07) {
        case Bpf.LD -> {
          if (code != (Bpf.LD | Bpf.W | Bpf.ABS)) {
            throw new IllegalStateException("unsupported load opcode 0x" + Integer.toHexString(code) + " at " + pc);
          }
          if (in.k() < 0 || in.k() > 60 || (in.k() & 3) != 0) {
            throw new IllegalStateException("load offset " + in.k() + " outside seccomp_data at " + pc);
          }
          if (onLoad != null) {
            onLoad.accept(in.k());
          }
          a = data.getInt(in.k());
          pc++;
        }
        case Bpf.ALU -> {
          if (code != (Bpf.ALU | Bpf.AND | Bpf.K)) {
            throw new IllegalStateException("unsupported alu opcode 0x" + Integer.toHexString(code) + " at " + pc);
          }
          a &= in.k();
          pc++;
        }
        case Bpf.JMP -> {
          if ((code & 0x08) != Bpf.K) {
            throw new IllegalStateException("only K jumps are supported, at " + pc);
          }
          int op = code & 0xf0;
          if (op == Bpf.JA) {
            pc += 1 + in.k();
            continue;
          }
          boolean taken = switch (op) {
            case Bpf.JEQ -> a == in.k();
            case Bpf.JGT -> Integer.compareUnsigned(a, in.k()) > 0;
            case Bpf.JGE -> Integer.compareUnsigned(a, in.k()) >= 0;
            case Bpf.JSET -> (a & in.k()) != 0;
            default -> throw new IllegalStateException("unsupported jump opcode 0x" + Integer.toHexString(code) + " at " + pc);
          };
          pc += 1 + (taken ? in.jt() : in.jf());
        }
        case Bpf.RET -> {
          if (code != (Bpf.RET | Bpf.K)) {
            throw new IllegalStateException("unsupported return opcode 0x" + Integer.toHexString(code) + " at " + pc);
          }
          return in.k();
        }
        default -> throw new IllegalStateException("unsupported opcode 0x" + Integer.toHexString(code) + " at " + pc);
      }
    }
    throw new IllegalStateException("program did not return (a loop?)");
  }
}
