package dev.phantom.zygote.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Workspace path rules and OOM classification: pure, no host needed. */
class SandboxRulesTest {

  @Test
  void workspacePathsStayInside() {
    assertThat(WorkspacePaths.components("/workspace", "a/b.txt")).containsExactly("a", "b.txt");
    assertThat(WorkspacePaths.components("/workspace", "/workspace/a/./b")).containsExactly("a", "b");
    assertThat(WorkspacePaths.components("/workspace", "a//b")).containsExactly("a", "b");
    for (String bad : new String[] {"", "..", "../x", "a/../../x", "a/..", "/etc/passwd", "/workspace", "/workspace/",
        "/workspacex/a", "dir/", "a\0b", "."}) {
      assertThatThrownBy(() -> WorkspacePaths.components("/workspace", bad)).as(bad)
          .isInstanceOfSatisfying(ZygoteException.class,
              e -> assertThat(e.reason()).isEqualTo(ZygoteException.Reason.INVALID_REQUEST));
    }
  }

  @Test
  void oomKillMakesOomKilledUnlessTheZygoteKilledTheRun() {
    BwrapStatus exited137 = new BwrapStatus(OptionalInt.of(2), OptionalInt.of(137));
    Outcomes.Verdict oom = Outcomes.classify(null, new Termination.Exited(137), exited137, new byte[0],
        Duration.ofSeconds(1), 1, 64 << 20);
    assertThat(oom.status()).isEqualTo(RunOutcome.Status.OOM_KILLED);
    assertThat(oom.message()).contains("OOM killer", "67108864");
    Outcomes.Verdict timeout = Outcomes.classify(KillReason.TIMEOUT, new Termination.Signaled(9), BwrapStatus.NONE,
        new byte[0], Duration.ofSeconds(1), 2, 0);
    assertThat(timeout.status()).isEqualTo(RunOutcome.Status.TIMEOUT);
    assertThat(timeout.message()).contains("OOM killer killed 2 processes");
    assertThat(Outcomes.classify(null, new Termination.Exited(0), exited137, new byte[0], Duration.ofSeconds(1), 0, 0)
        .status()).isEqualTo(RunOutcome.Status.OK);
    assertThat(Outcomes.classify(KillReason.SETUP, new Termination.Signaled(9), BwrapStatus.NONE, new byte[0],
        Duration.ofSeconds(1)).status()).isEqualTo(RunOutcome.Status.FAILED_TO_START);
  }

  @Test
  void bwrapArgsBindTheWorkspaceAndBlock() {
    SandboxProfile profile = new SandboxProfile("p", "", new byte[0], List.of(new Mount.Workspace("/workspace", 1 << 20)),
        java.util.Map.of(), "", "", 1000, 1000, new SandboxProfile.Limits(0, 0, 0));
    RunSpec run = RunSpec.of("r", List.of("true"), Duration.ofSeconds(1), 100);
    String joined = String.join(" ", BwrapArgs.build(new BwrapFeatures(true), profile, run, "/run/phantom/ws/run-1", true));
    assertThat(joined).contains("--bind /run/phantom/ws/run-1 /workspace", "--block-fd 5");
    assertThat(String.join(" ", BwrapArgs.build(new BwrapFeatures(true), profile, run)))
        .contains("--size 1048576 --tmpfs /workspace").doesNotContain("--block-fd");
  }
}
