package dev.phantom.policy.core;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Turns a {@link SeccompPolicy} into classic BPF for one architecture.
 *
 * <p>Layout (linear; a balanced search tree over syscall numbers can replace the middle block
 * once lists grow past what one-byte jump offsets reach):
 * <pre>
 *   ld  [arch]
 *   jeq AUDIT_ARCH, +1, +0        ; foreign arch (e.g. i386 via int 0x80) -> kill
 *   ret KILL_PROCESS
 *   ld  [nr]
 *   jge X32_SYSCALL_BIT, +0, +1   ; x86_64 only: x32 calls share the arch value -> kill
 *   ret KILL_PROCESS
 *   jeq nr_1, -> ret_a            ; one per matched syscall, ascending numbers
 *   ...
 *   ret default
 *   ret action_a ...              ; one per distinct rule action
 * </pre>
 */
public final class SeccompCompiler {

  private final Syscalls syscalls;

  public SeccompCompiler(Syscalls syscalls) {
    this.syscalls = syscalls;
  }

  public BpfProgram compile(SeccompPolicy policy, Arch arch) {
    Map<Integer, SeccompAction> byNumber = resolve(policy, arch);

    // Return block: the default first, then each other distinct action in first-use order.
    List<SeccompAction> returns = new ArrayList<>();
    returns.add(policy.defaultAction());
    for (SeccompRule rule : policy.rules()) {
      if (!returns.contains(rule.action())) {
        returns.add(rule.action());
      }
    }

    List<BpfInstruction> out = new ArrayList<>();
    out.add(BpfInstruction.loadAbsWord(Seccomp.OFFSET_ARCH));
    out.add(BpfInstruction.jump(Bpf.JEQ, arch.auditArch(), 1, 0));
    out.add(BpfInstruction.ret(Seccomp.RET_KILL_PROCESS));
    out.add(BpfInstruction.loadAbsWord(Seccomp.OFFSET_NR));
    if (arch.hasX32()) {
      out.add(BpfInstruction.jump(Bpf.JGE, Seccomp.X32_SYSCALL_BIT, 0, 1));
      out.add(BpfInstruction.ret(Seccomp.RET_KILL_PROCESS));
    }

    List<Map.Entry<Integer, SeccompAction>> checks = new ArrayList<>(byNumber.entrySet());
    checks.sort(Map.Entry.comparingByKey(Comparator.naturalOrder()));
    int n = checks.size();
    for (int i = 0; i < n; i++) {
      Map.Entry<Integer, SeccompAction> check = checks.get(i);
      int target = n + returns.indexOf(check.getValue()); // index of its RET, relative to the first check
      int jt = target - (i + 1);
      if (jt > Bpf.MAX_COND_JUMP) {
        throw new CompileException(CompileException.Reason.JUMP_TOO_FAR, String.format(
            "%s: %d matched syscalls need a jump of %d instructions, more than the %d a linear filter allows;"
                + " shorten the lists (a tree layout is not implemented yet)",
            arch.unameName(), n, jt, Bpf.MAX_COND_JUMP));
      }
      out.add(BpfInstruction.jump(Bpf.JEQ, check.getKey(), jt, 0));
    }
    for (SeccompAction action : returns) {
      out.add(BpfInstruction.ret(action.returnValue()));
    }
    if (out.size() > Bpf.MAX_INSTRUCTIONS) {
      throw new CompileException(CompileException.Reason.PROGRAM_TOO_LONG,
          arch.unameName() + ": " + out.size() + " instructions, more than " + Bpf.MAX_INSTRUCTIONS);
    }
    return new BpfProgram(out);
  }

  /** Syscall number to action for the arch; names the arch lacks are skipped, unknown names fail. */
  private Map<Integer, SeccompAction> resolve(SeccompPolicy policy, Arch arch) {
    SyscallTable table = syscalls.table(arch);
    Map<Integer, SeccompAction> byNumber = new LinkedHashMap<>();
    Map<String, Integer> ruleOf = new HashMap<>();
    List<String> unknown = new ArrayList<>();
    for (int r = 0; r < policy.rules().size(); r++) {
      SeccompRule rule = policy.rules().get(r);
      for (String name : rule.syscalls()) {
        Integer previous = ruleOf.putIfAbsent(name, r);
        if (previous != null) {
          throw new CompileException(CompileException.Reason.DUPLICATE_SYSCALL,
              "syscall '" + name + "' appears in rule " + previous + " and rule " + r + "; list it once");
        }
        OptionalInt number = table.number(name);
        if (number.isPresent()) {
          byNumber.put(number.getAsInt(), rule.action());
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
