package dev.phantom.gateway.it.abuse;

import static dev.phantom.gateway.it.abuse.Sandboxes.request;
import static dev.phantom.gateway.it.abuse.Sandboxes.seconds;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.api.v1.RunRequest;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * After many runs of every kind (ended, failed, timed out, writing scratch files), nothing of them is left
 * on the host: no process, cgroup, mount or state-directory entry. The runs go one at a time (about 20 ms
 * each here), since concurrent connections break today (see {@link ConnectionIT}).
 *
 * <p>Counts are compared as sets: an entry that exists after the runs but not before is a leftover once it
 * has not gone within a few seconds. Other sandboxes on the same machine (another zygote, a parallel build)
 * can make this fail; CI runs alone.
 */
class CleanupIT {

  private static final String PROFILES = "dev.phantom.gateway.it.abuse.AbuseConfig#profiles";
  private static final int RUNS = 200;
  private static final int SANDBOX_UID = 65520; // the zygote's default sandbox user

  @RegisterExtension
  static final Sandboxes sandboxes = new Sandboxes();

  @ParameterizedTest
  @MethodSource(PROFILES)
  void twoHundredRunsLeaveNothingBehind(String profile) throws Exception {
    String mark = Sandboxes.newMark();
    Set<String> cgroups = HostView.phantomCgroups();
    Set<String> mounts = HostView.phantomMounts();
    Set<String> state = HostView.stateEntries(sandboxes.mesh().stateDir);
    Set<Long> sandboxUserProcesses = HostView.liveProcessesOf(SANDBOX_UID);

    // One after the other on one connection: several connections at once break today (see ConnectionIT).
    List<RunResult> results = new ArrayList<>();
    for (int i = 0; i < RUNS; i++) {
      results.add(sandboxes.run(kind(profile, i).putEnv(Sandboxes.MARK_VAR, mark)));
    }

    // Warm mode: the pools made new slots while the runs took theirs; emptied, they must leave nothing either.
    sandboxes.resizePools(0);
    assertThat(results).hasSize(RUNS);
    assertThat(results).as("runs that failed to start").noneMatch(r -> r.getStatus() == RunStatus.RUN_STATUS_FAILED_TO_START);
    Duration grace = Duration.ofSeconds(5);
    SoftAssertions softly = new SoftAssertions();
    softly.assertThat(HostView.awaitNoProcessWith(mark, grace)).as("processes of these runs").isEmpty();
    softly.assertThat(HostView.awaitEmpty(() -> HostView.added(sandboxUserProcesses,
        HostView.liveProcessesOf(SANDBOX_UID)), grace)).as("new processes of uid %s", SANDBOX_UID).isEmpty();
    softly.assertThat(HostView.awaitEmpty(() -> HostView.added(cgroups, HostView.phantomCgroups()), grace))
        .as("new cgroup directories").isEmpty();
    softly.assertThat(HostView.awaitEmpty(() -> HostView.added(mounts, HostView.phantomMounts()), grace))
        .as("new mounts").isEmpty();
    softly.assertThat(HostView.awaitEmpty(() -> HostView.added(state, HostView.stateEntries(sandboxes.mesh().stateDir)), grace))
        .as("new entries under %s", sandboxes.mesh().stateDir).isEmpty();
    sandboxes.resizePools(AbuseConfig.WARM_POOL_SIZE);
    softly.assertAll();
  }

  /** Mostly quick runs; some write scratch files, fail, or hit their timeout. */
  private static RunRequest.Builder kind(String profile, int i) {
    return switch (i % 10) {
      case 0 -> request(profile, "sh", "-c", "head -c 1048576 /dev/zero > /tmp/f; mkdir -p /workspace/d 2>/dev/null;"
          + " echo x > /workspace/d/f 2>/dev/null; true");
      case 1 -> request(profile, "sh", "-c", "exit 5");
      case 2 -> request(profile, "sh", "-c", "(sleep 30 &); echo bg");
      case 3 -> i % 50 == 3 ? request(profile, "sleep", "30").setTimeout(seconds(1)) : request(profile, "true");
      default -> request(profile, "true");
    };
  }
}
