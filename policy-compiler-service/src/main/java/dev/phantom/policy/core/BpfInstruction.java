package dev.phantom.policy.core;

/**
 * One {@code struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }}.
 *
 * @param code opcode, 0..0xffff
 * @param jt jump offset if true, 0..255
 * @param jf jump offset if false, 0..255
 * @param k constant operand (unsigned in the kernel, held in an int)
 */
public record BpfInstruction(int code, int jt, int jf, int k) {

  public BpfInstruction {
    if (code < 0 || code > 0xffff) {
      throw new IllegalArgumentException("opcode out of range: " + code);
    }
    if (jt < 0 || jt > Bpf.MAX_COND_JUMP || jf < 0 || jf > Bpf.MAX_COND_JUMP) {
      throw new IllegalArgumentException("jump offset out of range: jt=" + jt + " jf=" + jf);
    }
  }

  public static BpfInstruction loadAbsWord(int offset) {
    return new BpfInstruction(Bpf.LD | Bpf.W | Bpf.ABS, 0, 0, offset);
  }

  public static BpfInstruction jump(int op, int k, int jt, int jf) {
    return new BpfInstruction(Bpf.JMP | op | Bpf.K, jt, jf, k);
  }

  /** {@code A &= k}. */
  public static BpfInstruction and(int k) {
    return new BpfInstruction(Bpf.ALU | Bpf.AND | Bpf.K, 0, 0, k);
  }

  public static BpfInstruction ret(int value) {
    return new BpfInstruction(Bpf.RET | Bpf.K, 0, 0, value);
  }

  @Override
  public String toString() {
    return String.format("{0x%04x, %d, %d, 0x%08x}", code, jt, jf, k);
  }
}
