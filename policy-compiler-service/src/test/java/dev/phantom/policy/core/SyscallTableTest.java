package dev.phantom.policy.core;

import static dev.phantom.policy.core.TestProfiles.SYSCALLS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Spot checks against numbers from the kernel's syscall tables, to catch a broken generator. */
class SyscallTableTest {

  @Test
  void x86_64() {
    SyscallTable t = SYSCALLS.table(Arch.X86_64);
    assertThat(t.number("read")).hasValue(0);
    assertThat(t.number("open")).hasValue(2);
    assertThat(t.number("mount")).hasValue(165);
    assertThat(t.number("unshare")).hasValue(272);
    assertThat(t.number("clone3")).hasValue(435);
    assertThat(t.numbers()).hasSizeGreaterThan(350);
  }

  @Test
  void aarch64UsesTheGenericTable() {
    SyscallTable t = SYSCALLS.table(Arch.AARCH64);
    assertThat(t.number("io_setup")).hasValue(0);
    assertThat(t.number("openat")).hasValue(56);
    assertThat(t.number("open")).isEmpty();
    assertThat(t.number("fstat")).hasValue(80);
    assertThat(t.number("newfstatat")).hasValue(79);
    assertThat(t.number("mmap")).hasValue(222);
    assertThat(t.number("unshare")).hasValue(97);
    assertThat(t.number("clone3")).hasValue(435);
    assertThat(t.number("syscalls")).isEmpty();
  }

  @Test
  void parseNamesTheBadLine() {
    assertThatThrownBy(() -> SyscallTable.parse(Arch.X86_64, "t.tsv", "# c\nread\t0\nwrite x\n"))
        .hasMessageStartingWith("t.tsv:3:");
  }
}
