package dev.phantom.policy.core;

import java.util.HashMap;
import java.util.Map;

/**
 * What a policy means for one {@code seccomp_data}, straight from the model and the kernel's rules,
 * without any BPF: the oracle the compiled programs are checked against.
 */
final class ReferenceEvaluator {

  private final Syscalls syscalls;
  private final Map<Arch, Map<Integer, String>> names = new HashMap<>();

  ReferenceEvaluator(Syscalls syscalls) {
    this.syscalls = syscalls;
    for (Arch arch : Arch.values()) {
      Map<Integer, String> byNumber = new HashMap<>();
      syscalls.table(arch).numbers().forEach((name, nr) -> byNumber.put(nr, name));
      names.put(arch, byNumber);
    }
  }

  int decide(SeccompPolicy policy, Arch arch, int auditArch, int nr, long[] args) {
    if (auditArch != arch.auditArch()) {
      return Seccomp.RET_KILL_PROCESS;
    }
    if (arch.hasX32() && Integer.compareUnsigned(nr, Seccomp.X32_SYSCALL_BIT) >= 0) {
      return Seccomp.RET_KILL_PROCESS;
    }
    if (Integer.compareUnsigned(nr, syscalls.highest(arch)) > 0) {
      return Seccomp.RET_ERRNO | Errno.ENOSYS;
    }
    String name = names.get(arch).get(nr);
    if (name == null) {
      return policy.defaultAction().returnValue();
    }
    return policy.decide(name, args).returnValue();
  }

  String name(Arch arch, int nr) {
    return names.get(arch).get(nr);
  }
}
