package dev.phantom.zygote.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SmallCoreTest {

  @Test
  void outputBudgetKeepsTheFirstBytesAndFlagsTheRest() {
    OutputBudget budget = new OutputBudget(10);
    assertThat(budget.admit(4)).isEqualTo(4);
    assertThat(budget.truncated()).isFalse();
    assertThat(budget.admit(10)).isEqualTo(6);
    assertThat(budget.admit(5)).isZero();
    assertThat(budget.truncated()).isTrue();
    assertThat(budget.kept()).isEqualTo(10);
  }

  @Test
  void recentSpawnPercentilesAreNearestRankOverTheLastWindow() {
    RecentSpawns spawns = new RecentSpawns();
    assertThat(spawns.percentile(0.99)).isZero();
    for (int i = 1; i <= 100; i++) {
      spawns.record(i * 10L);
    }
    assertThat(spawns.percentile(0.50)).isEqualTo(500);
    assertThat(spawns.percentile(0.99)).isEqualTo(990);
    for (int i = 0; i < RecentSpawns.WINDOW; i++) {
      spawns.record(7); // the old, slow ones leave the window
    }
    assertThat(spawns.percentile(0.99)).isEqualTo(7);
  }

  @Test
  void exactlyTheLimitIsNotTruncated() {
    OutputBudget budget = new OutputBudget(8);
    assertThat(budget.admit(8)).isEqualTo(8);
    assertThat(budget.truncated()).isFalse();
  }

  @Test
  void waitStatusDecoding() {
    assertThat(Termination.fromWaitStatus(3 << 8)).isEqualTo(new Termination.Exited(3));
    assertThat(Termination.fromWaitStatus(9)).isEqualTo(new Termination.Signaled(9));
    assertThat(Termination.fromWaitStatus(0)).isEqualTo(new Termination.Exited(0));
  }

  @Test
  void statusDocumentsOfBwrap08() {
    BwrapStatus started = BwrapStatus.parse("{ \"child-pid\": 6001, \"cgroup-namespace\": 4026532182 }\n");
    assertThat(started.childPid()).hasValue(6001);
    assertThat(started.exitCode()).isEmpty();
    BwrapStatus ended = BwrapStatus.parse("{ \"child-pid\": 6001 }\n{ \"exit-code\": 139 }\n");
    assertThat(ended.exitCode()).hasValue(139);
    // The report counts once its document is whole: a read may stop inside the number.
    assertThat(BwrapStatus.exitReported("{ \"child-pid\": 6001 }\n")).isFalse();
    assertThat(BwrapStatus.exitReported("{ \"child-pid\": 6001 }\n{ \"exit-code\": 13")).isFalse();
    assertThat(BwrapStatus.exitReported("{ \"child-pid\": 6001 }\n{ \"exit-code\": 139 }")).isTrue();
  }

  @Test
  void featuresFromHelp() {
    assertThat(BwrapFeatures.fromHelp("    --disable-userns   Disable further use").disableUserns()).isTrue();
    assertThat(BwrapFeatures.fromHelp("    --unshare-all").disableUserns()).isFalse();
  }
}
