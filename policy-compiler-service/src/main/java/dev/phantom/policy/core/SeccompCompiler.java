package dev.phantom.policy.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * Turns a {@link SeccompPolicy} into classic BPF for one architecture.
 *
 * <p>Layout:
 * <pre>
 *   ld  [arch]
 *   jeq AUDIT_ARCH, +1, +0        ; foreign arch (e.g. i386 via int 0x80) -> kill
 *   ret KILL_PROCESS
 *   ld  [nr]
 *   jge X32_SYSCALL_BIT, +0, +1   ; x86_64 only: x32 calls share the arch value -> kill
 *   ret KILL_PROCESS
 *   ; dispatch: a balanced binary search over syscall-number ranges that share an answer
 *   jge  #n_mid -> right half     ; falls through to the left half
 *   ...
 *   ret  action                   ; a leaf: a range answered without looking at arguments
 *   block                         ; a leaf: one syscall with argument conditions, rules in order:
 *     (ld [args[i] high]; (and); jeq #v, +0, past)   ; a run of rules whose first == shares a high half:
 *                                                  ; checked once, failing past the run
 *     ld [args[i] half]; (and #mask); jeq/jgt/jge #value  ; per condition and half
 *     ret action of the rule / next rule
 *     ret fallback                ; the unconditional rule for it, else the default
 * </pre>
 * Numbers above the table's highest answer ENOSYS (so a newer libc falls back), gaps in the table
 * the default. Only the argument blocks load arguments, and only after the dispatch, so for every
 * syscall answered without conditions the kernel can see a constant result and skip the filter
 * (its per-syscall action cache). A 64-bit condition checks both 32-bit halves (the high one at
 * {@code args[i] + 4}; both arches are little-endian); {@code low32} ones only the low half.
 * Conditional jumps farther than 255 instructions go through a {@code ja} trampoline placed right
 * after them. The output is a pure function of the policy, the arch and the syscall table.
 */
public final class SeccompCompiler {

  private final Syscalls syscalls;

  public SeccompCompiler(Syscalls syscalls) {
    this.syscalls = syscalls;
  }

  /** The rules of one syscall that can match, in order; the last one may be unconditional. */
  record Branch(List<ArgCondition> conditions, SeccompAction action) {}

  /** What a range of syscall numbers gets: an action straight away, or an argument block for one number. */
  private record Leaf(SeccompAction action, int syscall, List<Branch> branches) {
    static Leaf of(SeccompAction action) {
      return new Leaf(action, -1, null);
    }

    boolean sameAs(Leaf other) {
      return branches == null && other.branches == null && action.equals(other.action);
    }
  }

  private record Range(long first, Leaf leaf) {}

  public BpfProgram compile(SeccompPolicy policy, Arch arch) {
    TreeMap<Integer, List<Branch>> byNumber = resolve(policy, arch);
    int highest = syscalls.highest(arch);

    // Every number 0..2^32-1 gets a leaf; adjacent numbers with the same action share a range.
    List<Range> ranges = new ArrayList<>();
    for (int nr = 0; nr <= highest; nr++) {
      List<Branch> branches = byNumber.get(nr);
      Leaf leaf;
      if (branches == null) {
        leaf = Leaf.of(policy.defaultAction());
      } else if (branches.size() == 1 && branches.getFirst().conditions().isEmpty()) {
        leaf = Leaf.of(branches.getFirst().action());
      } else {
        leaf = new Leaf(null, nr, branches);
      }
      add(ranges, nr, leaf);
    }
    add(ranges, highest + 1L, Leaf.of(SeccompAction.errno(Errno.ENOSYS)));

    Assembler asm = new Assembler(arch);
    Assembler.Label archOk = asm.label();
    asm.load(Seccomp.OFFSET_ARCH);
    asm.jump(Bpf.JEQ, arch.auditArch(), archOk, null, "arch check");
    asm.ret(Seccomp.RET_KILL_PROCESS);
    asm.bind(archOk);
    asm.load(Seccomp.OFFSET_NR);
    if (arch.hasX32()) {
      Assembler.Label native_ = asm.label();
      asm.jump(Bpf.JGE, Seccomp.X32_SYSCALL_BIT, null, native_, "x32 check");
      asm.ret(Seccomp.RET_KILL_PROCESS);
      asm.bind(native_);
    }
    tree(asm, ranges, 0, ranges.size() - 1, policy.defaultAction());
    return asm.assemble();
  }

  private static void add(List<Range> ranges, long first, Leaf leaf) {
    if (!ranges.isEmpty() && ranges.getLast().leaf().sameAs(leaf)) {
      return;
    }
    ranges.add(new Range(first, leaf));
  }

  /** Emits the search over ranges[lo..hi]; the accumulator holds the syscall number on entry. */
  private static void tree(Assembler asm, List<Range> ranges, int lo, int hi, SeccompAction defaultAction) {
    if (lo == hi) {
      Leaf leaf = ranges.get(lo).leaf();
      if (leaf.branches() == null) {
        asm.ret(leaf.action().returnValue());
      } else {
        block(asm, leaf.syscall(), leaf.branches(), defaultAction);
      }
      return;
    }
    int mid = (lo + hi + 1) >>> 1;
    Assembler.Label right = asm.label();
    asm.jump(Bpf.JGE, (int) ranges.get(mid).first(), right, null, "dispatch");
    tree(asm, ranges, lo, mid - 1, defaultAction);
    asm.bind(right);
    asm.setAccumulator(Seccomp.OFFSET_NR);
    tree(asm, ranges, mid, hi, defaultAction);
  }

  /** The argument checks of one syscall: rules in order, first match wins, then the fallback. */
  private static void block(Assembler asm, int nr, List<Branch> branches, SeccompAction defaultAction) {
    Map<SeccompAction, Assembler.Label> returns = new LinkedHashMap<>();
    SeccompAction fallback = defaultAction;
    String what = "argument check of syscall " + nr;
    // A run of consecutive rules whose first condition checks the same high half (e.g. five
    // "arg0 == small value" rules: high half 0) checks it once; when it fails, no rule of the run
    // can match, so it jumps past the run.
    Half shared = null;
    Assembler.Label pastRun = null;
    for (int r = 0; r < branches.size(); r++) {
      Branch branch = branches.get(r);
      Half high = firstHigh(branch);
      if (pastRun != null && (high == null || !high.equals(shared))) {
        asm.bind(pastRun);
        shared = null;
        pastRun = null;
      }
      if (branch.conditions().isEmpty()) {
        fallback = branch.action();
        break;
      }
      if (shared == null && high != null && r + 1 < branches.size() && high.equals(firstHigh(branches.get(r + 1)))) {
        shared = high;
        pastRun = asm.label();
        checkHalf(asm, shared, pastRun, what);
      }
      Assembler.Label nextRule = asm.label();
      Assembler.Label matched = returns.computeIfAbsent(branch.action(), a -> asm.label());
      List<ArgCondition> conditions = branch.conditions();
      // High halves known to hold here: the run's, and those this rule's passed EQ conditions checked.
      List<Half> known = new ArrayList<>();
      if (shared != null) {
        known.add(shared);
      }
      for (int i = 0; i < conditions.size(); i++) {
        boolean last = i == conditions.size() - 1;
        ArgCondition c = conditions.get(i);
        Half h = sharableHigh(c);
        boolean skipHigh = h != null && known.contains(h);
        condition(asm, c, last ? matched : null, nextRule, skipHigh, what);
        if (h != null && !skipHigh) {
          known.add(h);
        }
      }
      asm.bind(nextRule);
    }
    if (pastRun != null) {
      asm.bind(pastRun);
    }
    // the fallback is emitted inline; other answers get one shared RET each
    Assembler.Label fallbackLabel = returns.remove(fallback);
    if (fallbackLabel != null) {
      asm.bind(fallbackLabel);
    }
    asm.ret(fallback.returnValue());
    for (Map.Entry<SeccompAction, Assembler.Label> e : returns.entrySet()) {
      asm.bind(e.getValue());
      asm.ret(e.getKey().returnValue());
    }
  }

  /** The sharable high half of a rule's first condition, or null. */
  private static Half firstHigh(Branch branch) {
    return branch.conditions().isEmpty() ? null : sharableHigh(branch.conditions().getFirst());
  }

  /**
   * The high-half check of an {@code ==} condition that also checks its low half, or null: such a
   * check must hold for the condition to hold, and once known to hold it can be skipped (the low
   * half still decides, so the condition never becomes empty).
   */
  private static Half sharableHigh(ArgCondition c) {
    int maskHigh = (int) (c.mask() >>> 32);
    int maskLow = (int) c.mask();
    if (c.op() != ArgCondition.Op.EQ || c.low32() || maskHigh == 0 || maskLow == 0) {
      return null;
    }
    return new Half(Seccomp.offsetArgHigh(c.index()), maskHigh, (int) (c.value() >>> 32));
  }

  /** Loads (and masks) one half and falls through when it equals the value, else goes to {@code fail}. */
  private static void checkHalf(Assembler asm, Half half, Assembler.Label fail, String what) {
    asm.load(half.offset());
    if (half.mask() != -1) {
      asm.and(half.mask());
    }
    asm.jump(Bpf.JEQ, half.value(), null, fail, what);
  }

  /** One 32-bit half of a comparison: offset in seccomp_data, mask (-1 = none), value. */
  private record Half(int offset, int mask, int value) {}

  /**
   * Goes to {@code pass} (null: falls through) when {@code c} holds and to {@code fail} otherwise.
   * {@code skipHigh}: the high half of this {@code ==} is known to hold here (see {@link #sharableHigh}).
   */
  private static void condition(Assembler asm, ArgCondition c, Assembler.Label pass, Assembler.Label fail,
      boolean skipHigh, String what) {
    Assembler.Label passed = pass != null ? pass : asm.label();
    int lowOffset = Seccomp.offsetArgLow(c.index());
    int highOffset = Seccomp.offsetArgHigh(c.index());
    int vLow = (int) c.value();
    int vHigh = (int) (c.value() >>> 32);
    switch (c.op()) {
      case EQ, NE -> {
        List<Half> halves = new ArrayList<>();
        int maskHigh = (int) (c.mask() >>> 32);
        int maskLow = (int) c.mask();
        if (!c.low32() && maskHigh != 0 && !skipHigh) {
          halves.add(new Half(highOffset, maskHigh, vHigh));
        }
        if (maskLow != 0) {
          halves.add(new Half(lowOffset, maskLow, vLow));
        }
        boolean eq = c.op() == ArgCondition.Op.EQ;
        for (int h = 0; h < halves.size(); h++) {
          Half half = halves.get(h);
          boolean lastHalf = h == halves.size() - 1;
          asm.load(half.offset());
          if (half.mask() != -1) {
            asm.and(half.mask());
          }
          if (eq) {
            // every half must be equal
            asm.jump(Bpf.JEQ, half.value(), lastHalf ? passed : null, fail, what);
          } else {
            // one differing half is enough
            asm.jump(Bpf.JEQ, half.value(), lastHalf ? fail : null, passed, what);
          }
        }
      }
      case GT, GE, LT, LE -> {
        // a > v: hi > vhi, or hi == vhi and lo > vlo (unsigned); a < v is !(a >= v), a <= v is !(a > v)
        boolean above = c.op() == ArgCondition.Op.GT || c.op() == ArgCondition.Op.GE;
        int lowOp = (c.op() == ArgCondition.Op.GT || c.op() == ArgCondition.Op.LE) ? Bpf.JGT : Bpf.JGE;
        Assembler.Label whenAbove = above ? passed : fail;
        Assembler.Label whenNot = above ? fail : passed;
        if (!c.low32()) {
          asm.load(highOffset);
          if (vHigh == 0) {
            asm.jump(Bpf.JGT, 0, whenAbove, null, what); // high half 0 or more: only above or equal
          } else {
            asm.jump(Bpf.JGT, vHigh, whenAbove, null, what);
            asm.jump(Bpf.JEQ, vHigh, null, whenNot, what);
          }
        }
        asm.load(lowOffset);
        asm.jump(lowOp, vLow, whenAbove, whenNot, what);
      }
    }
    if (pass == null) {
      asm.bind(passed);
    }
  }

  /**
   * Syscall number to its branches for the arch; names the arch lacks are skipped, unknown names
   * fail, and so does a rule that an earlier unconditional rule makes unreachable.
   */
  TreeMap<Integer, List<Branch>> resolve(SeccompPolicy policy, Arch arch) {
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

  /**
   * Emits instructions with forward jumps to labels. Tracks which word the accumulator holds so that
   * repeated loads of the same argument half are skipped, and resolves jumps at the end, inserting a
   * {@code ja} trampoline after any conditional jump whose target is more than 255 instructions away.
   */
  static final class Assembler {

    static final class Label {
      Insn at;
      /** Accumulator state of every jump here so far: offset loaded, UNKNOWN, or NONE_YET. */
      int incoming = NONE_YET;
      String what;
    }

    static final int UNKNOWN = -1;
    static final int NONE_YET = -2;

    static final class Insn {
      final int code;
      final int k;
      Label jt;
      Label jf;
      final String what;

      Insn(int code, int k, Label jt, Label jf, String what) {
        this.code = code;
        this.k = k;
        this.jt = jt;
        this.jf = jf;
        this.what = what;
      }

      boolean conditional() {
        return (code & 0x07) == Bpf.JMP && (code & 0xf0) != Bpf.JA;
      }
    }

    private final Arch arch;
    private final List<Insn> code = new ArrayList<>();
    private final List<Label> pending = new ArrayList<>();
    /** What the accumulator holds at the current position; UNKNOWN after a RET or JA (unreachable). */
    private int accumulator = UNKNOWN;
    private boolean reachable = true;

    Assembler(Arch arch) {
      this.arch = arch;
    }

    Label label() {
      return new Label();
    }

    void bind(Label label) {
      if (label.at != null || pending.contains(label)) {
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

    private Insn emit(int code, int k, Label jt, Label jf, String what) {
      Insn insn = new Insn(code, k, jt, jf, what);
      code_add(insn);
      return insn;
    }

    private void code_add(Insn insn) {
      code.add(insn);
      for (Label l : pending) {
        l.at = insn;
      }
      pending.clear();
    }

    void load(int offset) {
      if (reachable && accumulator == offset) {
        return;
      }
      emit(Bpf.LD | Bpf.W | Bpf.ABS, offset, null, null, null);
      accumulator = offset;
      reachable = true;
    }

    void and(int mask) {
      emit(Bpf.ALU | Bpf.AND | Bpf.K, mask, null, null, null);
      accumulator = UNKNOWN;
    }

    void ret(int value) {
      emit(Bpf.RET | Bpf.K, value, null, null, null);
      reachable = false;
      accumulator = UNKNOWN;
    }

    /** A conditional jump; a null label means "the next instruction". */
    void jump(int op, int k, Label jt, Label jf, String what) {
      emit(Bpf.JMP | op | Bpf.K, k, jt, jf, what);
      for (Label l : new Label[] {jt, jf}) {
        if (l != null) {
          l.incoming = merge(l.incoming, accumulator);
          l.what = what;
        }
      }
      if (jt != null && jf != null) {
        reachable = false;
      }
    }

    BpfProgram assemble() {
      if (!pending.isEmpty()) {
        throw new IllegalStateException("label bound at the end of the program");
      }
      List<Insn> list = new ArrayList<>(code);
      // Insert trampolines until every conditional jump reaches its targets.
      while (true) {
        Map<Insn, Integer> pos = positions(list);
        List<Insn> out = new ArrayList<>(list.size() + 16);
        boolean changed = false;
        for (Insn insn : list) {
          out.add(insn);
          if (!insn.conditional()) {
            continue;
          }
          int pc = pos.get(insn);
          List<Insn> tramps = new ArrayList<>(2);
          if (insn.jt != null && pos.get(insn.jt.at) - (pc + 1) > Bpf.MAX_COND_JUMP) {
            Insn t = new Insn(Bpf.JMP | Bpf.JA, 0, insn.jt, null, insn.what);
            Label l = new Label();
            l.at = t;
            insn.jt = l;
            tramps.add(t);
          }
          if (insn.jf != null && pos.get(insn.jf.at) - (pc + 1) > Bpf.MAX_COND_JUMP) {
            Insn t = new Insn(Bpf.JMP | Bpf.JA, 0, insn.jf, null, insn.what);
            Label l = new Label();
            l.at = t;
            insn.jf = l;
            tramps.add(t);
          }
          if (!tramps.isEmpty()) {
            // the fall-through ("next instruction") side must skip the trampolines
            Label after = new Label();
            if (insn.jt == null) {
              insn.jt = after;
            }
            if (insn.jf == null) {
              insn.jf = after;
            }
            out.addAll(tramps);
            pendingAfter.put(after, tramps.getLast());
            changed = true;
          }
        }
        list = out;
        if (!pendingAfter.isEmpty()) {
          // bind each "after" label to the instruction that follows its trampolines
          Map<Insn, Integer> p = positions(list);
          for (Map.Entry<Label, Insn> e : pendingAfter.entrySet()) {
            int next = p.get(e.getValue()) + 1;
            e.getKey().at = list.get(next);
          }
          pendingAfter.clear();
        }
        if (!changed) {
          break;
        }
      }
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

    private final Map<Label, Insn> pendingAfter = new IdentityHashMap<>();

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
      if (label.at == null) {
        throw new IllegalStateException("unbound label");
      }
      int offset = pos.get(label.at) - (pc + 1);
      if (offset < 0 || offset > Bpf.MAX_COND_JUMP) {
        throw new IllegalStateException("jump offset " + offset + " after trampolines");
      }
      return offset;
    }
  }
}
