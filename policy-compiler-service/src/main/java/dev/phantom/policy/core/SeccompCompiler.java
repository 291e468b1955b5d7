package dev.phantom.policy.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Turns a {@link SeccompPolicy} into classic BPF for one architecture.
 *
 * <p>Layout (linear; a balanced search tree over syscall numbers can replace the dispatch block
 * once lists grow past what one-byte jump offsets reach):
 * <pre>
 *   ld  [arch]
 *   jeq AUDIT_ARCH, +1, +0        ; foreign arch (e.g. i386 via int 0x80) -> kill
 *   ret KILL_PROCESS
 *   ld  [nr]
 *   jge X32_SYSCALL_BIT, +0, +1   ; x86_64 only: x32 calls share the arch value -> kill
 *   ret KILL_PROCESS
 *   jeq nr_1, -> ret_a | block_1  ; dispatch: one per matched syscall, ascending numbers
 *   ...
 *   ret default
 *   ret action_a ...              ; one per distinct action of an unconditional rule
 *   block_1:                      ; one per syscall with argument conditions, rules in order:
 *     ld [args[i] half]; (and #mask); jeq #value, ..., -> next rule   ; per condition and half
 *     ret action of the rule                                         ; all conditions held
 *     ...
 *     ret fallback                ; the unconditional rule for it, else the default
 * </pre>
 * Argument checks only run after the number dispatch, so they never slow other syscalls. A 64-bit
 * comparison checks both 32-bit halves (the high one at {@code args[i] + 4}; both arches are
 * little-endian) and skips a half whose mask is 0.
 */
public final class SeccompCompiler {

  private final Syscalls syscalls;

  public SeccompCompiler(Syscalls syscalls) {
    this.syscalls = syscalls;
  }

  /** The rules of one syscall that can match, in order; the last one may be unconditional. */
  private record Branch(List<ArgCondition> conditions, SeccompAction action) {}

  public BpfProgram compile(SeccompPolicy policy, Arch arch) {
    TreeMap<Integer, List<Branch>> byNumber = resolve(policy, arch);

    // Shared returns: the default first, then each other distinct unconditional action in rule order.
    List<SeccompAction> returns = new ArrayList<>();
    returns.add(policy.defaultAction());
    for (SeccompRule rule : policy.rules()) {
      if (rule.unconditional() && !returns.contains(rule.action())) {
        returns.add(rule.action());
      }
    }

    Assembler asm = new Assembler(arch);
    Assembler.Label archOk = asm.label();
    asm.emit(BpfInstruction.loadAbsWord(Seccomp.OFFSET_ARCH));
    asm.jeq(arch.auditArch(), archOk, null, "arch check");
    asm.emit(BpfInstruction.ret(Seccomp.RET_KILL_PROCESS));
    asm.bind(archOk);
    asm.emit(BpfInstruction.loadAbsWord(Seccomp.OFFSET_NR));
    if (arch.hasX32()) {
      Assembler.Label native_ = asm.label();
      asm.jge(Seccomp.X32_SYSCALL_BIT, null, native_, "x32 check");
      asm.emit(BpfInstruction.ret(Seccomp.RET_KILL_PROCESS));
      asm.bind(native_);
    }

    List<Assembler.Label> returnLabels = new ArrayList<>();
    returns.forEach(r -> returnLabels.add(asm.label()));
    Map<Integer, Assembler.Label> blocks = new HashMap<>();
    for (Map.Entry<Integer, List<Branch>> e : byNumber.entrySet()) {
      List<Branch> branches = e.getValue();
      Assembler.Label target;
      if (branches.size() == 1 && branches.getFirst().conditions().isEmpty()) {
        target = returnLabels.get(returns.indexOf(branches.getFirst().action()));
      } else {
        target = asm.label();
        blocks.put(e.getKey(), target);
      }
      asm.jeq(e.getKey(), target, null, "dispatch of syscall " + e.getKey());
    }
    for (int i = 0; i < returns.size(); i++) {
      asm.bind(returnLabels.get(i));
      asm.emit(BpfInstruction.ret(returns.get(i).returnValue()));
    }
    for (Map.Entry<Integer, List<Branch>> e : byNumber.entrySet()) {
      Assembler.Label block = blocks.get(e.getKey());
      if (block == null) {
        continue;
      }
      asm.bind(block);
      SeccompAction fallback = policy.defaultAction();
      for (Branch branch : e.getValue()) {
        if (branch.conditions().isEmpty()) {
          fallback = branch.action();
          break;
        }
        Assembler.Label nextRule = asm.label();
        for (ArgCondition c : branch.conditions()) {
          condition(asm, c, nextRule, "argument check of syscall " + e.getKey());
        }
        asm.emit(BpfInstruction.ret(branch.action().returnValue()));
        asm.bind(nextRule);
      }
      asm.emit(BpfInstruction.ret(fallback.returnValue()));
    }
    return asm.assemble();
  }

  /** Falls through when {@code c} holds, jumps to {@code fail} otherwise. */
  private static void condition(Assembler asm, ArgCondition c, Assembler.Label fail, String what) {
    // halves to compare: {offset, mask, value}
    List<int[]> halves = new ArrayList<>();
    int maskHigh = (int) (c.mask() >>> 32);
    int maskLow = (int) c.mask();
    if (!c.low32() && maskHigh != 0) {
      halves.add(new int[] {Seccomp.offsetArgHigh(c.index()), maskHigh, (int) (c.value() >>> 32)});
    }
    if (maskLow != 0) {
      halves.add(new int[] {Seccomp.offsetArgLow(c.index()), maskLow, (int) c.value()});
    }
    Assembler.Label pass = asm.label();
    for (int h = 0; h < halves.size(); h++) {
      int[] half = halves.get(h);
      boolean last = h == halves.size() - 1;
      asm.emit(BpfInstruction.loadAbsWord(half[0]));
      if (half[1] != -1) {
        asm.emit(BpfInstruction.and(half[1]));
      }
      if (c.equal()) {
        asm.jeq(half[2], null, fail, what); // every half must be equal
      } else if (!last) {
        asm.jeq(half[2], null, pass, what); // one differing half is enough
      } else {
        asm.jeq(half[2], fail, null, what);
      }
    }
    asm.bind(pass);
  }

  /**
   * Syscall number to its branches for the arch; names the arch lacks are skipped, unknown names
   * fail, and so does a rule that an earlier unconditional rule makes unreachable.
   */
  private TreeMap<Integer, List<Branch>> resolve(SeccompPolicy policy, Arch arch) {
    SyscallTable table = syscalls.table(arch);
    TreeMap<Integer, List<Branch>> byNumber = new TreeMap<>();
    Map<String, Integer> unconditionalRuleOf = new HashMap<>();
    List<String> unknown = new ArrayList<>();
    for (int r = 0; r < policy.rules().size(); r++) {
      SeccompRule rule = policy.rules().get(r);
      List<String> seen = new ArrayList<>();
      for (String name : rule.syscalls()) {
        if (seen.contains(name)) {
          throw new CompileException(CompileException.Reason.DUPLICATE_SYSCALL,
              "syscall '" + name + "' appears twice in rule " + r + "; list it once");
        }
        seen.add(name);
        Integer previous = unconditionalRuleOf.get(name);
        if (previous != null) {
          throw new CompileException(CompileException.Reason.DUPLICATE_SYSCALL,
              "syscall '" + name + "' appears in rule " + previous + " and rule " + r + "; rule " + previous
                  + " has no argument conditions, so rule " + r + " could never match it; list it once");
        }
        if (rule.unconditional()) {
          unconditionalRuleOf.put(name, r);
        }
        OptionalInt number = table.number(name);
        if (number.isPresent()) {
          byNumber.computeIfAbsent(number.getAsInt(), n -> new ArrayList<>())
              .add(new Branch(rule.conditions(), rule.action()));
        } else if (!syscalls.knownOnAnyArch(name)) {
          unknown.add("'" + name + "'");
        }
      }
    }
    if (!unknown.isEmpty()) {
      throw new CompileException(CompileException.Reason.UNKNOWN_SYSCALL, "unknown syscall"
          + (unknown.size() > 1 ? "s " : " ") + String.join(", ", unknown)
          + " (in none of the tables for " + String.join(", ", Arch.unameNames()) + ")");
    }
    return byNumber;
  }

  /** Emits instructions with forward jumps to labels, resolved (and range-checked) at the end. */
  private static final class Assembler {

    static final class Label {
      int position = -1;
    }

    private record Pending(BpfInstruction base, Label jt, Label jf, String what) {}

    private final Arch arch;
    private final List<Pending> code = new ArrayList<>();

    Assembler(Arch arch) {
      this.arch = arch;
    }

    Label label() {
      return new Label();
    }

    void bind(Label label) {
      label.position = code.size();
    }

    void emit(BpfInstruction instruction) {
      code.add(new Pending(instruction, null, null, null));
    }

    /** A null label means "the next instruction". */
    void jeq(int k, Label jt, Label jf, String what) {
      code.add(new Pending(BpfInstruction.jump(Bpf.JEQ, k, 0, 0), jt, jf, what));
    }

    void jge(int k, Label jt, Label jf, String what) {
      code.add(new Pending(BpfInstruction.jump(Bpf.JGE, k, 0, 0), jt, jf, what));
    }

    BpfProgram assemble() {
      if (code.size() > Bpf.MAX_INSTRUCTIONS) {
        throw new CompileException(CompileException.Reason.PROGRAM_TOO_LONG,
            arch.unameName() + ": " + code.size() + " instructions, more than " + Bpf.MAX_INSTRUCTIONS);
      }
      List<BpfInstruction> out = new ArrayList<>(code.size());
      for (int pc = 0; pc < code.size(); pc++) {
        Pending p = code.get(pc);
        if (p.jt() == null && p.jf() == null) {
          out.add(p.base());
          continue;
        }
        int jt = offset(pc, p.jt(), p.what());
        int jf = offset(pc, p.jf(), p.what());
        out.add(new BpfInstruction(p.base().code(), jt, jf, p.base().k()));
      }
      return new BpfProgram(out);
    }

    private int offset(int pc, Label label, String what) {
      if (label == null) {
        return 0;
      }
      if (label.position <= pc) {
        throw new IllegalStateException("unbound or backward label in " + what);
      }
      int offset = label.position - (pc + 1);
      if (offset > Bpf.MAX_COND_JUMP) {
        throw new CompileException(CompileException.Reason.JUMP_TOO_FAR, String.format(
            "%s: the %s needs a jump of %d instructions, more than the %d a conditional jump can reach;"
                + " shorten the rule lists or the argument conditions (a tree layout is not implemented yet)",
            arch.unameName(), what, offset, Bpf.MAX_COND_JUMP));
      }
      return offset;
    }
  }
}
