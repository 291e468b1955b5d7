package dev.phantom.policy.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The interpreter is the oracle of the compiler tests, so it gets checked on its own. */
class BpfInterpreterTest {

  @Test
  void jumpsFollowUnsignedComparisons() {
    BpfProgram program = new BpfProgram(List.of(
        BpfInstruction.loadAbsWord(Seccomp.OFFSET_NR),
        BpfInstruction.jump(Bpf.JGT, 0x7fffffff, 2, 0), // -1 as unsigned is greater
        BpfInstruction.jump(Bpf.JSET, 0x4, 2, 0),
        BpfInstruction.ret(1),
        BpfInstruction.ret(2),
        BpfInstruction.ret(3)));
    assertThat(BpfInterpreter.run(program, -1, 0)).isEqualTo(2);
    assertThat(BpfInterpreter.run(program, 4, 0)).isEqualTo(3);
    assertThat(BpfInterpreter.run(program, 3, 0)).isEqualTo(1);
  }

  @Test
  void jaSkipsAndArchIsReadAtOffset4() {
    BpfProgram program = new BpfProgram(List.of(
        BpfInstruction.loadAbsWord(Seccomp.OFFSET_ARCH),
        new BpfInstruction(Bpf.JMP | Bpf.JA, 0, 0, 1),
        BpfInstruction.ret(1),
        BpfInstruction.jump(Bpf.JEQ, 0xC000003E, 0, 1),
        BpfInstruction.ret(7),
        BpfInstruction.ret(8)));
    assertThat(BpfInterpreter.run(program, 0, 0xC000003E)).isEqualTo(7);
    assertThat(BpfInterpreter.run(program, 0, 0xC00000B7)).isEqualTo(8);
  }

  @Test
  void refusesRunningOffTheEndAndUnknownOpcodes() {
    assertThatThrownBy(() -> BpfInterpreter.run(new BpfProgram(List.of(BpfInstruction.loadAbsWord(0))), 0, 0))
        .hasMessageContaining("outside the program");
    assertThatThrownBy(() -> BpfInterpreter.run(new BpfProgram(List.of(new BpfInstruction(0x07, 0, 0, 0))), 0, 0))
        .hasMessageContaining("unsupported opcode");
    assertThatThrownBy(() -> BpfInterpreter.run(new BpfProgram(List.of(BpfInstruction.loadAbsWord(64))), 0, 0))
        .hasMessageContaining("outside seccomp_data");
  }

  @Test
  void readsBothHalvesOfAnArgumentAndMasks() {
    BpfProgram program = new BpfProgram(List.of(
        BpfInstruction.loadAbsWord(Seccomp.offsetArgHigh(2)),
        BpfInstruction.jump(Bpf.JEQ, 0x12345678, 0, 3),
        BpfInstruction.loadAbsWord(Seccomp.offsetArgLow(2)),
        BpfInstruction.and(0xff),
        BpfInstruction.jump(Bpf.JEQ, 0x9a, 1, 0),
        BpfInstruction.ret(1),
        BpfInstruction.ret(2)));
    assertThat(BpfInterpreter.run(program, 0, 0, new long[] {0, 0, 0x12345678_0000009aL})).isEqualTo(2);
    assertThat(BpfInterpreter.run(program, 0, 0, new long[] {0, 0, 0x12345678_ffffff9aL})).isEqualTo(2);
    assertThat(BpfInterpreter.run(program, 0, 0, new long[] {0, 0, 0x12345678_0000009bL})).isEqualTo(1);
    assertThat(BpfInterpreter.run(program, 0, 0, new long[] {0, 0, 0x0000009aL})).isEqualTo(1);
    assertThat(BpfInterpreter.run(program, 0, 0, new long[] {0, 0x12345678_0000009aL})).isEqualTo(1);
  }
}
