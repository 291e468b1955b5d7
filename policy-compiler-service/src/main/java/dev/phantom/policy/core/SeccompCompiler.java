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
 * <p>Layout:
 * <pre>
 *   ld  [arch]
 *   jeq AUDIT_ARCH, +0, KILL      ; foreign arch (e.g. i386 via int 0x80) -> kill
 *   ld  [nr]
 *   jge X32_SYSCALL_BIT, KILL, +0 ; x86_64 only: x32 calls share the arch value -> kill
 *   ; dispatch (see Dispatch): a jge tree over units of syscall-number ranges, a unit being one
 *   ; range or a background answer with a few single numbers picked out by jeq
 *   jge  #n_mid, right, left
 *   jeq  #n, ALLOW, EPERM         ; answers are jumps to the shared returns at the end
 *   block                         ; one syscall with argument conditions, rules in order:
 *     (ld [args[i] high]; (and); jeq #v, +0, past)   ; a run of rules whose first == shares a high half:
 *                                                  ; checked once, failing past the run
 *     ld [args[i] half]; (and #mask); jeq/jgt/jge #value  ; per condition and half, to the rule's return
 *                                                  ; or the next rule; the last fails to the fallback's
 *   ret KILL_PROCESS              ; the shared returns: one per answer
 *   ret ALLOW
 *   ...
 * </pre>
 * Numbers above the table's highest answer ENOSYS (so a newer libc falls back), gaps in the table
 * the default. Only the argument blocks load arguments, and only after the dispatch, so for every
 * syscall answered without conditions the kernel can see a constant result and skip the filter
 * (its per-syscall action cache). A 64-bit condition checks both 32-bit halves (the high one at
 * {@code args[i] + 4}; both arches are little-endian); {@code low32} ones only the low half.
 * Conditional jumps farther than 255 instructions go through a stand-in placed right after them
 * (see {@link BpfAssembler}). The output is a pure function of the policy, the arch and the syscall table.
 */
public final class SeccompCompiler {

  private final Syscalls syscalls;

  public SeccompCompiler(Syscalls syscalls) {
    this.syscalls = syscalls;
  }

  /** The rules of one syscall that can match, in order; the last one may be unconditional. */
  record Branch(List<ArgCondition> conditions, SeccompAction action) {}

  public BpfProgram compile(SeccompPolicy policy, Arch arch) {
    TreeMap<Integer, List<Branch>> byNumber = resolve(policy, arch);
    int highest = syscalls.highest(arch);

    // Every number 0..2^32-1 gets a leaf; adjacent numbers with the same answer share a range.
    List<Dispatch.Range> ranges = new ArrayList<>();
    for (int nr = 0; nr <= highest; nr++) {
      List<Branch> branches = byNumber.get(nr);
      Dispatch.Leaf leaf;
      if (branches == null) {
        leaf = Dispatch.Leaf.of(policy.defaultAction());
      } else if (branches.size() == 1 && branches.getFirst().conditions().isEmpty()) {
        leaf = Dispatch.Leaf.of(branches.getFirst().action());
      } else {
        leaf = Dispatch.Leaf.block(branches);
      }
      Dispatch.add(ranges, nr, leaf);
    }
    Dispatch.add(ranges, highest + 1L, Dispatch.Leaf.of(SeccompAction.errno(Errno.ENOSYS)));

    BpfAssembler asm = new BpfAssembler(arch);
    BpfAssembler.Label kill = asm.returnLabel(Seccomp.RET_KILL_PROCESS);
    asm.load(Seccomp.OFFSET_ARCH);
    asm.jump(Bpf.JEQ, arch.auditArch(), null, kill);
    asm.load(Seccomp.OFFSET_NR);
    if (arch.hasX32()) {
      asm.jump(Bpf.JGE, Seccomp.X32_SYSCALL_BIT, kill, null);
    }
    SeccompAction defaultAction = policy.defaultAction();
    new Dispatch(asm, arch, (a, leaf) -> block(a, leaf.branches(), defaultAction)).emit(ranges);
    return asm.assemble();
  }

  /** The argument checks of one syscall: rules in order, first match wins, then the fallback. */
  private static void block(BpfAssembler asm, List<Branch> branches, SeccompAction defaultAction) {
    SeccompAction fallback = defaultAction;
    // A run of consecutive rules whose first condition checks the same high half (e.g. five
    // "arg0 == small value" rules: high half 0) checks it once; when it fails, no rule of the run
    // can match, so it jumps past the run.
    Half shared = null;
    BpfAssembler.Label pastRun = null;
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
        checkHalf(asm, shared, pastRun);
      }
      BpfAssembler.Label nextRule = asm.label();
      BpfAssembler.Label matched = asm.returnLabel(branch.action().returnValue());
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
        condition(asm, c, last ? matched : null, nextRule, skipHigh);
        if (h != null && !skipHigh) {
          known.add(h);
        }
      }
      asm.bind(nextRule);
    }
    if (pastRun != null) {
      asm.bind(pastRun);
    }
    asm.goTo(asm.returnLabel(fallback.returnValue()));
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
  private static void checkHalf(BpfAssembler asm, Half half, BpfAssembler.Label fail) {
    asm.load(half.offset());
    if (half.mask() != -1) {
      asm.and(half.mask());
    }
    asm.jump(Bpf.JEQ, half.value(), null, fail);
  }

  /** One 32-bit half of a comparison: offset in seccomp_data, mask (-1 = none), value. */
  private record Half(int offset, int mask, int value) {}

  /**
   * Goes to {@code pass} (null: falls through) when {@code c} holds and to {@code fail} otherwise.
   * {@code skipHigh}: the high half of this {@code ==} is known to hold here (see {@link #sharableHigh}).
   */
  private static void condition(BpfAssembler asm, ArgCondition c, BpfAssembler.Label pass, BpfAssembler.Label fail,
      boolean skipHigh) {
    BpfAssembler.Label passed = pass != null ? pass : asm.label();
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
            asm.jump(Bpf.JEQ, half.value(), lastHalf ? passed : null, fail);
          } else {
            // one differing half is enough
            asm.jump(Bpf.JEQ, half.value(), lastHalf ? fail : null, passed);
          }
        }
      }
      case GT, GE, LT, LE -> {
        // a > v: hi > vhi, or hi == vhi and lo > vlo (unsigned); a < v is !(a >= v), a <= v is !(a > v)
        boolean above = c.op() == ArgCondition.Op.GT || c.op() == ArgCondition.Op.GE;
        int lowOp = (c.op() == ArgCondition.Op.GT || c.op() == ArgCondition.Op.LE) ? Bpf.JGT : Bpf.JGE;
        BpfAssembler.Label whenAbove = above ? passed : fail;
        BpfAssembler.Label whenNot = above ? fail : passed;
        if (!c.low32()) {
          asm.load(highOffset);
          if (vHigh == 0) {
            asm.jump(Bpf.JGT, 0, whenAbove, null); // high half 0 or more: only above or equal
          } else {
            asm.jump(Bpf.JGT, vHigh, whenAbove, null);
            asm.jump(Bpf.JEQ, vHigh, null, whenNot);
          }
        }
        asm.load(lowOffset);
        asm.jump(lowOp, vLow, whenAbove, whenNot);
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
}
