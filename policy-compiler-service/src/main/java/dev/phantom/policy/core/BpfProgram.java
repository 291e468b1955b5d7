package dev.phantom.policy.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** A classic BPF program, immutable. */
public record BpfProgram(List<BpfInstruction> instructions) {

  public BpfProgram {
    instructions = List.copyOf(instructions);
    if (instructions.isEmpty() || instructions.size() > Bpf.MAX_INSTRUCTIONS) {
      throw new IllegalArgumentException("a BPF program has 1.." + Bpf.MAX_INSTRUCTIONS
          + " instructions, not " + instructions.size());
    }
  }

  public int size() {
    return instructions.size();
  }

  public BpfInstruction get(int pc) {
    return instructions.get(pc);
  }

  /**
   * The {@code struct sock_filter} array as {@code bwrap --seccomp FD} reads it. Both supported
   * architectures are little-endian, so this is host byte order wherever the sandbox runs.
   */
  public byte[] toBytes() {
    ByteBuffer out = ByteBuffer.allocate(instructions.size() * Bpf.INSTRUCTION_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (BpfInstruction i : instructions) {
      out.putShort((short) i.code()).put((byte) i.jt()).put((byte) i.jf()).putInt(i.k());
    }
    return out.array();
  }
}
