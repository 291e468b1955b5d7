package dev.phantom.policy.core;

/** Classic BPF opcode parts (include/uapi/linux/bpf_common.h, filter.h): only what the compiler emits. */
public final class Bpf {

  private Bpf() {}

  // instruction classes
  public static final int LD = 0x00;
  public static final int ALU = 0x04;
  public static final int JMP = 0x05;
  public static final int RET = 0x06;
  // ld/ldx fields
  public static final int W = 0x00;
  public static final int ABS = 0x20;
  // alu fields
  public static final int AND = 0x50;
  // jmp fields
  public static final int JA = 0x00;
  public static final int JEQ = 0x10;
  public static final int JGT = 0x20;
  public static final int JGE = 0x30;
  public static final int JSET = 0x40;
  // source
  public static final int K = 0x00;

  /** The kernel refuses longer programs (BPF_MAXINSNS). */
  public static final int MAX_INSTRUCTIONS = 4096;
  /** Conditional jumps hold their offsets in one byte each. */
  public static final int MAX_COND_JUMP = 255;
  /** Size of a {@code struct sock_filter}. */
  public static final int INSTRUCTION_BYTES = 8;
}
