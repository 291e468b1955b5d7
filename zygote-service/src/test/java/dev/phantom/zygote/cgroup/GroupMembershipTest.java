package dev.phantom.zygote.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phantom.support.testing.SandboxHost;
import dev.phantom.zygote.ZygoteConfig;
import dev.phantom.zygote.ZygoteVerticle;
import dev.phantom.zygote.bwrap.BwrapLauncher;
import dev.phantom.zygote.core.ResourceLimits;
import dev.phantom.zygote.core.SandboxCgroups;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link SandboxCgroups.Group#holds}: the release handshake trusts it to tell whether a sandbox's first
 * process was born in its run's group, and moves it only when not.
 */
class GroupMembershipTest {

  @Test
  void holdsOnlyWhatWasMovedInOrBornThere() throws Exception {
    SandboxHost.assumeBubblewrap();
    assumeTrue(BwrapLauncher.runningAsRoot(), "needs root to make cgroups");
    ZygoteConfig config = ZygoteConfig.fromJson(new JsonObject()
        .put("stateDir", Files.createTempDirectory("zygote-membership-").toString()));
    ZygoteVerticle.Setup setup = ZygoteVerticle.setUp(config, "membership");
    Process outside = null;
    Process born = null;
    SandboxCgroups.Group group = null;
    try {
      SandboxCgroups cgroups = setup.launcher().cgroups();
      assumeTrue(cgroups.enforced(), "no cgroups on this host");
      group = cgroups.create("membership-" + System.nanoTime(), ResourceLimits.NONE);
      // A shell that forks a child once told to, like bubblewrap making the sandbox's first process.
      outside = new ProcessBuilder("sh", "-c", "read go; sleep 300 & echo $!; wait").start();
      born = new ProcessBuilder("sleep", "300").start();
      int pid = (int) outside.pid();
      assertThat(group.holds(pid)).isFalse();
      group.add(pid);
      assertThat(group.holds(pid)).isTrue();
      assertThat(group.holds((int) born.pid())).as("a process never moved").isFalse();
      outside.getOutputStream().write("go\n".getBytes());
      outside.getOutputStream().flush();
      int child = Integer.parseInt(new java.io.BufferedReader(new java.io.InputStreamReader(outside.getInputStream()))
          .readLine().trim());
      assertThat(group.holds(child)).as("a child forked inside the group").isTrue();
    } finally {
      if (outside != null) {
        outside.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      if (born != null) {
        born.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
      if (group != null) {
        group.killAndWait(5000);
        group.remove();
      }
      setup.launcher().close();
      setup.stateDir().close();
    }
  }
}
