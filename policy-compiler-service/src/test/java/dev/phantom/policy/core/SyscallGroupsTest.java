package dev.phantom.policy.core;

import static dev.phantom.policy.core.TestProfiles.SYSCALLS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

class SyscallGroupsTest {

  @Test
  void bothArchesAgreeOnEverySyscallTheyShare() {
    SyscallGroups x86 = SYSCALLS.groups(Arch.X86_64);
    SyscallGroups arm = SYSCALLS.groups(Arch.AARCH64);
    assertThat(x86.names()).isEqualTo(arm.names());
    for (String group : x86.names()) {
      for (String name : SYSCALLS.table(Arch.X86_64).numbers().keySet()) {
        if (SYSCALLS.table(Arch.AARCH64).number(name).isPresent()) {
          assertThat(x86.members(group).contains(name)).as("%s in %s", name, group)
              .isEqualTo(arm.members(group).contains(name));
        }
      }
      assertThat(SYSCALLS.groupMembers(group)).as(group).isNotEmpty();
    }
  }

  @Test
  void nestedGroupsExpand() {
    Set<String> privileged = SYSCALLS.groupMembers("@privileged");
    assertThat(privileged).contains("mount", "reboot", "init_module", "swapon", "clock_settime", "iopl", "bpf")
        .containsAll(SYSCALLS.groupMembers("@mount"));
    assertThat(SYSCALLS.groupMembers("@io-uring")).containsExactly("io_uring_enter", "io_uring_register", "io_uring_setup");
  }

  @Test
  void badGroupFilesAreRefused() {
    SyscallTable table = SYSCALLS.table(Arch.AARCH64);
    assertThatThrownBy(() -> SyscallGroups.parse(table, "g", "@a\topen\n"))
        .hasMessageContaining("'open' is not a syscall of aarch64");
    assertThatThrownBy(() -> SyscallGroups.parse(table, "g", "@a\t@b\n@b\t@a\n")).hasMessageContaining("cycle");
    assertThatThrownBy(() -> SyscallGroups.parse(table, "g", "@a\t@nope\n")).hasMessageContaining("unknown group @nope");
  }
}
