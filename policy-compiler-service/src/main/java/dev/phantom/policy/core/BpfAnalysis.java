package dev.phantom.policy.core;

/** Static facts about a seccomp program: the longest path from the first instruction to a return. */
public final class BpfAnalysis {

  private BpfAnalysis() {}

  /**
   * Instructions executed on the longest path (the return included). Classic BPF only jumps forward,
   * so this is one backward pass. Works for any program the kernel accepts (e.g. libseccomp's).
   */
  public static int worstPath(BpfProgram program) {
    int n = program.size();
    int[] longest = new int[n + 1];
    for (int pc = n - 1; pc >= 0; pc--) {
      BpfInstruction in = program.get(pc);
      int cls = in.code() & 0x07;
      int best;
      if (cls == Bpf.RET) {
        best = 0;
      } else if (cls == Bpf.JMP) {
        int op = in.code() & 0xf0;
        if (op == Bpf.JA) {
          best = at(longest, n, pc + 1 + in.k());
        } else {
          best = Math.max(at(longest, n, pc + 1 + in.jt()), at(longest, n, pc + 1 + in.jf()));
        }
      } else {
        best = at(longest, n, pc + 1);
      }
      longest[pc] = 1 + best;
    }
    return longest[0];
  }

  private static int at(int[] longest, int n, int pc) {
    return pc >= 0 && pc < n ? longest[pc] : 0;
  }
}
