package dev.phantom.zygote.bwrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phantom.support.testing.SandboxHost;
import dev.phantom.zygote.ZygoteConfig;
import dev.phantom.zygote.ZygoteVerticle;
import dev.phantom.zygote.workspace.Workspaces;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a zygote killed with -9 leaves behind is gone once the next one with the same stateDir starts. */
class LeftoverRecoveryTest {

  @Test
  void startRemovesLeftoverProcessesCgroupsAndMounts() throws Exception {
    SandboxHost.assumeBubblewrap();
    assumeTrue(BwrapLauncher.runningAsRoot(), "needs root: a process of the sandbox uid and a tmpfs mount");
    Path state = Files.createTempDirectory("zygote-leftover-");
    ZygoteConfig config = ZygoteConfig.fromJson(new JsonObject().put("stateDir", state.toString()));
    // A first zygote creates the layout, then "dies" (its lock is released, nothing else is cleaned).
    ZygoteVerticle.Setup first = ZygoteVerticle.setUp(config, "first");
    assumeTrue(first.launcher().cgroups().enforced(), "no cgroups on this host");
    first.launcher().close();
    first.stateDir().close();

    // Fake leftovers: a cgroup holding a sleeping process of the sandbox uid, and a mounted workspace.
    Process sleeper = new ProcessBuilder("setpriv", "--reuid=" + ZygoteConfig.DEFAULT_SANDBOX_UID, "--regid=" + ZygoteConfig.DEFAULT_SANDBOX_GID, "--clear-groups", "sleep", "300")
        .start();
    String parent = first.stateDir().cgroupParentName();
    List<Path> groups = leftoverGroups(parent);
    assertThat(groups).isNotEmpty();
    for (Path group : groups) {
      Files.createDirectories(group);
      Files.writeString(group.resolve("cgroup.procs"), Long.toString(sleeper.pid()));
    }
    Path ws = state.toRealPath().resolve("ws/run-7-crashed");
    Files.createDirectories(ws);
    assertThat(new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", ws.toString()).start().waitFor()).isZero();
    Files.writeString(ws.resolve("file"), "left");
    assertThat(Workspaces.mountsUnder(state.toRealPath())).contains(ws);

    ZygoteVerticle.Setup second = ZygoteVerticle.setUp(config, "second");
    try {
      assertThat(sleeper.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      for (Path group : groups) {
        assertThat(group).doesNotExist();
      }
      assertThat(Workspaces.mountsUnder(state.toRealPath())).isEmpty();
      assertThat(ws).doesNotExist();
      assertThat(second.launcher().cgroups().groupCount()).isZero();
    } finally {
      sleeper.destroyForcibly();
      second.launcher().close();
      second.stateDir().close();
      dev.phantom.support.testing.TempDirs.deleteQuietly(state);
    }
  }

  /** The leftover group's directory in every v1 hierarchy the zygote uses (or the v2 one). */
  static List<Path> leftoverGroups(String parent) throws Exception {
    String self = Files.readString(Path.of("/proc/self/cgroup"));
    List<Path> out = new java.util.ArrayList<>();
    for (String line : self.split("\n")) {
      String[] f = line.split(":", 3);
      if (f.length == 3 && List.of("memory", "pids", "cpu", "cpuacct").contains(f[1])) {
        out.add(Path.of("/sys/fs/cgroup", f[1]).resolve(f[2].substring(1)).resolve(parent).resolve("run-crashed"));
      }
    }
    if (out.isEmpty()) {
      String v2 = self.lines().filter(l -> l.startsWith("0::")).findFirst().orElseThrow().substring(3);
      out.add(Path.of("/sys/fs/cgroup").resolve(v2.substring(1)).resolve(parent).resolve("run-crashed"));
    }
    return out;
  }
}
