package dev.phantom.policy.core;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Emits classic BPF with forward jumps to labels, for {@link SeccompCompiler}.
 *
 * <ul>
 *   <li>Every answer is one shared {@code RET} at the end of the program ({@link #returnLabel}); code
 *       jumps to it instead of repeating it, so a dispatch leaf costs no instruction of its own.
 *   <li>It tracks which word the accumulator holds, so a repeated load of the same word is skipped.
 *   <li>A conditional jump farther than 255 instructions gets a stand-in placed right after it: a copy of
 *       the {@code RET} it aims at, or else a {@code ja}.
 * </ul>
 */
final class BpfAssembler {

  static final class Label {
    private Insn at;
    /** This label means the same place as another one (see {@link #goTo}). */
    private Label alias;
    /** For a shared return: its value. */
    private Integer returnValue;
    /** Accumulator state of every jump here so far: offset loaded, UNKNOWN, or NONE_YET. */
    private int incoming = NONE_YET;
  }

  private static final int UNKNOWN = -1;
  private static final int NONE_YET = -2;

  private static final class Insn {
    final int code;
    final int k;
    Label jt;
    Label jf;

    Insn(int code, int k, Label jt, Label jf) {
      this.code = code;
      this.k = k;
      this.jt = jt;
      this.jf = jf;
    }

    boolean conditional() {
      return (code & 0x07) == Bpf.JMP && (code & 0xf0) != Bpf.JA;
    }

    boolean isReturn() {
      return (code & 0x07) == Bpf.RET;
    }
  }

  private final Arch arch;
  private final List<Insn> code = new ArrayList<>();
  private final List<Label> pending = new ArrayList<>();
  /** Shared returns in order of first use, so the output stays a pure function of the input. */
  private final Map<Integer, Label> returns = new LinkedHashMap<>();
  /** What the accumulator holds at the current position; UNKNOWN where unreachable. */
  private int accumulator = UNKNOWN;
  /** Whether the current position can be reached: by falling through, or by a jump to a label bound here. */
  private boolean reachable = true;
  /** Whether the last instruction emitted falls through to the current position. */
  private boolean fallsThrough = true;

  BpfAssembler(Arch arch) {
    this.arch = arch;
  }

  Label label() {
    return new Label();
  }

  /** The one {@code RET value} of the program, emitted at its end. */
  Label returnLabel(int value) {
    return returns.computeIfAbsent(value, v -> {
      Label l = new Label();
      l.returnValue = v;
      return l;
    });
  }

  /** Instructions emitted so far, shared returns not included. */
  int size() {
    return code.size();
  }

  void bind(Label label) {
    if (label.at != null || label.alias != null || pending.contains(label)) {
      throw new IllegalStateException("label bound twice");
    }
    pending.add(label);
    int in = reachable ? accumulator : NONE_YET;
    accumulator = merge(in, label.incoming);
    reachable = reachable || label.incoming != NONE_YET;
    if (accumulator == NONE_YET) {
      accumulator = UNKNOWN;
    }
  }

  /**
   * Continues at {@code target}: labels bound here become the same place as it, and if the previous
   * instruction falls through, a {@code ja} (or, for a shared return, a copy of the {@code RET}) goes there.
   */
  void goTo(Label target) {
    for (Label l : pending) {
      l.alias = target;
      target.incoming = merge(target.incoming, l.incoming);
    }
    pending.clear();
    if (fallsThrough && !code.isEmpty()) {
      if (target.returnValue != null) {
        emit(Bpf.RET | Bpf.K, target.returnValue, null, null);
      } else {
        target.incoming = merge(target.incoming, accumulator);
        emit(Bpf.JMP | Bpf.JA, 0, target, null);
      }
    }
    unreachable();
  }

  /** States that the accumulator holds the word at {@code offset} here (the caller knows). */
  void setAccumulator(int offset) {
    accumulator = offset;
  }

  private static int merge(int a, int b) {
    if (a == NONE_YET) {
      return b;
    }
    if (b == NONE_YET) {
      return a;
    }
    return a == b ? a : UNKNOWN;
  }

  private void emit(int opcode, int k, Label jt, Label jf) {
    Insn insn = new Insn(opcode, k, jt, jf);
    code.add(insn);
    for (Label l : pending) {
      l.at = insn;
    }
    pending.clear();
    fallsThrough = true;
  }

  private void unreachable() {
    reachable = false;
    fallsThrough = false;
    accumulator = UNKNOWN;
  }

  void load(int offset) {
    if (reachable && accumulator == offset) {
      return;
    }
    emit(Bpf.LD | Bpf.W | Bpf.ABS, offset, null, null);
    accumulator = offset;
    reachable = true;
  }

  void and(int mask) {
    emit(Bpf.ALU | Bpf.AND | Bpf.K, mask, null, null);
    accumulator = UNKNOWN;
  }

  /** A conditional jump; a null label means "the next instruction". */
  void jump(int op, int k, Label jt, Label jf) {
    emit(Bpf.JMP | op | Bpf.K, k, jt, jf);
    for (Label l : new Label[] {jt, jf}) {
      if (l != null) {
        l.incoming = merge(l.incoming, accumulator);
      }
    }
    if (jt != null && jf != null) {
      unreachable();
    }
  }

  BpfProgram assemble() {
    if (!pending.isEmpty() || fallsThrough) {
      throw new IllegalStateException("the program runs off its end");
    }
    for (Label r : returns.values()) {
      if (r.incoming != NONE_YET) {
        pending.add(r);
        emit(Bpf.RET | Bpf.K, r.returnValue, null, null);
      }
    }
    List<Insn> list = new ArrayList<>(code);
    for (Insn insn : list) {
      insn.jt = resolve(insn.jt);
      insn.jf = resolve(insn.jf);
    }
    list = withStandIns(list);
    if (list.size() > Bpf.MAX_INSTRUCTIONS) {
      throw new CompileException(CompileException.Reason.PROGRAM_TOO_LONG, arch.unameName() + ": the filter needs "
          + list.size() + " instructions, more than the kernel's limit of " + Bpf.MAX_INSTRUCTIONS
          + "; use fewer argument conditions, or merge rules (groups, one rule per action)");
    }
    Map<Insn, Integer> pos = positions(list);
    List<BpfInstruction> out = new ArrayList<>(list.size());
    for (int pc = 0; pc < list.size(); pc++) {
      Insn insn = list.get(pc);
      if ((insn.code & 0x07) == Bpf.JMP && (insn.code & 0xf0) == Bpf.JA) {
        int target = pos.get(Objects.requireNonNull(insn.jt).at);
        out.add(new BpfInstruction(insn.code, 0, 0, target - (pc + 1)));
      } else if (insn.conditional()) {
        out.add(new BpfInstruction(insn.code, offset(pos, pc, insn.jt), offset(pos, pc, insn.jf), insn.k));
      } else {
        out.add(new BpfInstruction(insn.code, 0, 0, insn.k));
      }
    }
    return new BpfProgram(out);
  }

  private static Label resolve(Label label) {
    Label l = label;
    while (l != null && l.alias != null) {
      l = l.alias;
    }
    if (l != null && l.at == null) {
      throw new IllegalStateException("unbound label");
    }
    return l;
  }

  /** Inserts stand-ins until every conditional jump reaches its targets. */
  private static List<Insn> withStandIns(List<Insn> list) {
    while (true) {
      Map<Insn, Integer> pos = positions(list);
      List<Insn> out = new ArrayList<>(list.size() + 16);
      Map<Label, Insn> after = new IdentityHashMap<>();
      for (Insn insn : list) {
        out.add(insn);
        if (!insn.conditional()) {
          continue;
        }
        int pc = pos.get(insn);
        List<Insn> standIns = new ArrayList<>(2);
        if (insn.jt != null && pos.get(insn.jt.at) - (pc + 1) > Bpf.MAX_COND_JUMP) {
          insn.jt = standIn(insn.jt, standIns);
        }
        if (insn.jf != null && pos.get(insn.jf.at) - (pc + 1) > Bpf.MAX_COND_JUMP) {
          insn.jf = standIn(insn.jf, standIns);
        }
        if (!standIns.isEmpty()) {
          // the fall-through ("next instruction") side must skip the stand-ins
          Label next = new Label();
          if (insn.jt == null) {
            insn.jt = next;
          }
          if (insn.jf == null) {
            insn.jf = next;
          }
          out.addAll(standIns);
          after.put(next, standIns.getLast());
        }
      }
      if (after.isEmpty()) {
        return list;
      }
      Map<Insn, Integer> p = positions(out);
      for (Map.Entry<Label, Insn> e : after.entrySet()) {
        e.getKey().at = out.get(p.get(e.getValue()) + 1);
      }
      list = out;
    }
  }

  private static Label standIn(Label target, List<Insn> standIns) {
    Insn t = target.at.isReturn()
        ? new Insn(target.at.code, target.at.k, null, null)
        : new Insn(Bpf.JMP | Bpf.JA, 0, target, null);
    Label l = new Label();
    l.at = t;
    standIns.add(t);
    return l;
  }

  private static Map<Insn, Integer> positions(List<Insn> list) {
    Map<Insn, Integer> pos = new IdentityHashMap<>(list.size() * 2);
    for (int i = 0; i < list.size(); i++) {
      pos.put(list.get(i), i);
    }
    return pos;
  }

  private static int offset(Map<Insn, Integer> pos, int pc, Label label) {
    if (label == null) {
      return 0;
    }
    int offset = pos.get(label.at) - (pc + 1);
    if (offset < 0 || offset > Bpf.MAX_COND_JUMP) {
      throw new IllegalStateException("jump offset " + offset + " after stand-ins");
    }
    return offset;
  }
}
