package dev.phantom.policy.core;

import java.util.HashMap;
import java.util.Map;

/** A readable listing of a seccomp program, one instruction per line, in the style of bpf_dbg. */
public final class Disassembler {

  private Disassembler() {}

  /** @param table names syscall numbers in dispatch comparisons; may be null */
  public static String listing(BpfProgram program, SyscallTable table) {
    Map<Integer, String> names = new HashMap<>();
    if (table != null) {
      table.numbers().forEach((name, nr) -> names.put(nr, name));
    }
    StringBuilder out = new StringBuilder();
    int[] state = accumulatorStates(program);
    for (int pc = 0; pc < program.size(); pc++) {
      BpfInstruction in = program.get(pc);
      int code = in.code();
      int loaded = state[pc];
      String text;
      String comment = "";
      switch (code & 0x07) {
        case Bpf.LD -> {
          text = String.format("ld   [%d]", in.k());
          comment = field(in.k());
        }
        case Bpf.ALU -> text = String.format("and  #0x%x", in.k());
        case Bpf.JMP -> {
          int op = code & 0xf0;
          if (op == Bpf.JA) {
            text = String.format("ja   %04d", pc + 1 + in.k());
          } else {
            String mnemonic = switch (op) {
              case Bpf.JEQ -> "jeq";
              case Bpf.JGT -> "jgt";
              case Bpf.JGE -> "jge";
              case Bpf.JSET -> "jset";
              default -> String.format("j?%02x", op);
            };
            text = String.format("%-4s #0x%x, %04d, %04d", mnemonic, in.k(), pc + 1 + in.jt(), pc + 1 + in.jf());
            if (loaded == Seccomp.OFFSET_NR && names.containsKey(in.k())) {
              comment = names.get(in.k());
            } else if (loaded == Seccomp.OFFSET_ARCH) {
              comment = archName(in.k());
            }
          }
        }
        case Bpf.RET -> {
          text = String.format("ret  #0x%08x", in.k());
          comment = action(in.k());
        }
        default -> text = String.format("??? code=0x%04x jt=%d jf=%d k=0x%x", code, in.jt(), in.jf(), in.k());
      }
      if (comment.isEmpty()) {
        out.append(String.format("%04d: %s", pc, text));
      } else {
        out.append(String.format("%04d: %-30s ; %s", pc, text, comment));
      }
      out.append('\n');
    }
    return out.toString();
  }

  private static final int UNSET = -3;
  private static final int UNKNOWN = -2;

  /** For each instruction, the seccomp_data offset the accumulator holds on every path there, or UNKNOWN. */
  private static int[] accumulatorStates(BpfProgram program) {
    int n = program.size();
    int[] state = new int[n];
    java.util.Arrays.fill(state, UNSET);
    state[0] = UNKNOWN;
    for (int pc = 0; pc < n; pc++) {
      if (state[pc] == UNSET) {
        state[pc] = UNKNOWN; // unreachable
      }
      BpfInstruction in = program.get(pc);
      int after = switch (in.code() & 0x07) {
        case Bpf.LD -> in.k();
        case Bpf.ALU -> UNKNOWN;
        default -> state[pc];
      };
      switch (in.code() & 0x07) {
        case Bpf.RET -> { }
        case Bpf.JMP -> {
          if ((in.code() & 0xf0) == Bpf.JA) {
            flow(state, pc + 1 + in.k(), after);
          } else {
            flow(state, pc + 1 + in.jt(), after);
            flow(state, pc + 1 + in.jf(), after);
          }
        }
        default -> flow(state, pc + 1, after);
      }
    }
    return state;
  }

  private static void flow(int[] state, int pc, int value) {
    if (pc >= state.length) {
      return;
    }
    state[pc] = state[pc] == UNSET || state[pc] == value ? value : UNKNOWN;
  }

  private static String field(int offset) {
    if (offset == Seccomp.OFFSET_NR) {
      return "nr";
    }
    if (offset == Seccomp.OFFSET_ARCH) {
      return "arch";
    }
    if (offset == Seccomp.OFFSET_INSTRUCTION_POINTER || offset == Seccomp.OFFSET_INSTRUCTION_POINTER + 4) {
      return "instruction_pointer";
    }
    if (offset >= 16 && offset < 64) {
      int arg = (offset - 16) / 8;
      return "args[" + arg + "]" + ((offset - 16) % 8 == 0 ? " low" : " high");
    }
    return "";
  }

  private static String archName(int audit) {
    for (Arch a : Arch.values()) {
      if (a.auditArch() == audit) {
        return a.unameName();
      }
    }
    return "";
  }

  /** The SECCOMP_RET_* name of a return value. */
  public static String action(int value) {
    int data = value & Seccomp.RET_DATA_MASK;
    return switch (value & 0xffff0000) {
      case Seccomp.RET_KILL_PROCESS -> "KILL_PROCESS";
      case Seccomp.RET_KILL_THREAD -> "KILL_THREAD";
      case Seccomp.RET_TRAP -> "TRAP";
      case Seccomp.RET_ERRNO -> "ERRNO(" + data + " " + Errno.name(data) + ")";
      case Seccomp.RET_LOG -> "LOG";
      case Seccomp.RET_ALLOW -> "ALLOW";
      case 0x7ff00000 -> "TRACE(" + data + ")";
      case 0x7fc00000 -> "USER_NOTIF";
      default -> "";
    };
  }
}
