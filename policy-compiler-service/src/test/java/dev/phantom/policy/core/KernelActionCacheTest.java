package dev.phantom.policy.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The kernel's emulation as redone in {@link KernelActionCache}, on hand-written programs. */
class KernelActionCacheTest {

  private static final int X86_64 = Arch.X86_64.auditArch();
  private static final BpfInstruction RET_ALLOW = new BpfInstruction(Bpf.RET | Bpf.K, 0, 0, Seccomp.RET_ALLOW);

  @Test
  void aConstantAllowIsCachedAndAnythingElseIsNot() {
    assertThat(KernelActionCache.alwaysAllowed(new BpfProgram(List.of(RET_ALLOW)), 110, X86_64)).isTrue();
    BpfProgram deny = new BpfProgram(List.of(new BpfInstruction(Bpf.RET | Bpf.K, 0, 0, Seccomp.RET_ERRNO | 1)));
    assertThat(KernelActionCache.alwaysAllowed(deny, 110, X86_64)).as("only allows are cached").isFalse();
    BpfProgram readsIp = new BpfProgram(List.of(new BpfInstruction(Bpf.LD | Bpf.W | Bpf.ABS, 0, 0, 8), RET_ALLOW));
    assertThat(KernelActionCache.alwaysAllowed(readsIp, 110, X86_64)).as("a load of the instruction pointer").isFalse();
  }

  @Test
  void itFollowsTheNumber() {
    // ld [nr]; jeq 101, +0, +1; ret ERRNO; (and 0xff; jset 0x80, +1, +0;) ret ALLOW; ret ERRNO
    BpfProgram program = new BpfProgram(List.of(
        new BpfInstruction(Bpf.LD | Bpf.W | Bpf.ABS, 0, 0, Seccomp.OFFSET_NR),
        new BpfInstruction(Bpf.JMP | Bpf.JEQ | Bpf.K, 0, 1, 101),
        new BpfInstruction(Bpf.RET | Bpf.K, 0, 0, Seccomp.RET_ERRNO | 1),
        new BpfInstruction(Bpf.ALU | Bpf.AND | Bpf.K, 0, 0, 0xff),
        new BpfInstruction(Bpf.JMP | Bpf.JSET | Bpf.K, 1, 0, 0x80),
        RET_ALLOW,
        new BpfInstruction(Bpf.RET | Bpf.K, 0, 0, Seccomp.RET_ERRNO | 1)));
    assertThat(KernelActionCache.alwaysAllowed(program, 101, X86_64)).isFalse();
    assertThat(KernelActionCache.alwaysAllowed(program, 110, X86_64)).isTrue();
    assertThat(KernelActionCache.alwaysAllowed(program, 0x180, X86_64)).as("bit 7 set after the mask").isFalse();
  }
}
