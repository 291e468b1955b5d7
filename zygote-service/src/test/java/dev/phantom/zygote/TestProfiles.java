package dev.phantom.zygote;

import dev.phantom.zygote.core.Mount;
import dev.phantom.zygote.core.SandboxProfile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

/** Hand-built profiles, so these tests never depend on the policy compiler. */
public final class TestProfiles {

  private TestProfiles() {}

  /** RET ALLOW, the single instruction of an allow-all program. */
  public static final byte[] ALLOW_ALL = program(new int[][] {{0x06, 0, 0, 0x7fff0000}});

  /** x86_64 syscall numbers of mkdir and mkdirat. */
  public static final int NR_MKDIR = 83;
  public static final int NR_MKDIRAT = 258;

  /** Fails mkdir and mkdirat with EPERM, allows everything else (x86_64 numbers; no arch check: test only). */
  public static final byte[] DENY_MKDIR = program(new int[][] {
      {0x20, 0, 0, 0},                 // LD W ABS seccomp_data.nr
      {0x15, 2, 0, NR_MKDIR},          // JEQ mkdir -> deny
      {0x15, 1, 0, NR_MKDIRAT},        // JEQ mkdirat -> deny
      {0x06, 0, 0, 0x7fff0000},        // RET ALLOW
      {0x06, 0, 0, 0x00050000 | 1},    // RET ERRNO | EPERM
  });

  public static byte[] program(int[][] instructions) {
    ByteBuffer out = ByteBuffer.allocate(instructions.length * 8).order(ByteOrder.nativeOrder());
    for (int[] insn : instructions) {
      out.putShort((short) insn[0]).put((byte) insn[1]).put((byte) insn[2]).putInt(insn[3]);
    }
    return out.array();
  }

  public static final List<Mount> MINIMAL_MOUNTS = List.of(
      new Mount.ReadOnlyBind("/usr", "/usr", false),
      new Mount.Symlink("usr/bin", "/bin"),
      new Mount.Symlink("usr/sbin", "/sbin"),
      new Mount.Symlink("usr/lib", "/lib"),
      new Mount.Symlink("usr/lib64", "/lib64"),
      new Mount.ReadOnlyBind("/etc/ld.so.cache", "/etc/ld.so.cache", true),
      new Mount.ReadOnlyBind("/etc/alternatives", "/etc/alternatives", true),
      new Mount.Proc("/proc"),
      new Mount.Dev("/dev"),
      new Mount.Tmpfs("/tmp", 16L << 20));

  public static SandboxProfile minimal(byte[] seccomp) {
    return new SandboxProfile("minimal", "sha256:test", seccomp, MINIMAL_MOUNTS,
        Map.of("PATH", "/usr/bin:/bin", "HOME", "/tmp"), "sandbox", "/tmp", 1000, 1000,
        new SandboxProfile.Limits(10_000, 60_000, 1 << 20));
  }

  public static SandboxProfile minimal() {
    return minimal(ALLOW_ALL);
  }
}
