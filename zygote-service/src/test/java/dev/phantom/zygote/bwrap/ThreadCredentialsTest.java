package dev.phantom.zygote.bwrap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.phantom.support.testing.SandboxHost;
import dev.phantom.zygote.ZygoteConfig;
import dev.phantom.zygote.core.ZygoteException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Spawning as the sandbox user by switching the spawning thread's own ids ({@link ThreadCredentials}) must
 * give the process exactly what {@code setpriv --reuid --regid --clear-groups} gave, and leave the thread
 * (and the rest of the JVM) as it was.
 */
class ThreadCredentialsTest {

  static final int NOBODY = ZygoteConfig.DEFAULT_SANDBOX_UID;
  static final List<String> KEYS = List.of("Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:", "CapEff:", "CapBnd:",
      "CapAmb:", "NoNewPrivs:", "Seccomp:");

  @Test
  void aProcessSpawnedThisWayHasTheIdsAndCapabilitiesSetprivGaveIt() throws Exception {
    assumeRootWithSetpriv();
    String direct;
    String throughSetpriv;
    try (BwrapLauncher withIds = launcher(true); BwrapLauncher withSetpriv = launcher(false)) {
      direct = credentialsOf(withIds);
      throughSetpriv = credentialsOf(withSetpriv);
    }
    assertThat(direct).contains("Uid:\t" + NOBODY + "\t" + NOBODY + "\t" + NOBODY + "\t" + NOBODY,
        "Gid:\t" + NOBODY + "\t" + NOBODY + "\t" + NOBODY + "\t" + NOBODY, "CapPrm:\t0000000000000000",
        "CapEff:\t0000000000000000", "CapAmb:\t0000000000000000");
    assertThat(direct.lines().filter(l -> l.startsWith("Groups:")).findFirst().orElseThrow().strip()).isEqualTo("Groups:");
    assertThat(direct).isEqualTo(throughSetpriv);
  }

  @Test
  void theSpawningThreadAndTheOthersKeepTheirOwnIdsEvenWhenTheSpawnFails() throws Exception {
    assumeRootWithSetpriv();
    try (BwrapLauncher launcher = launcher(true)) {
      spawnAndFail(launcher);
    }
  }

  private static void spawnAndFail(BwrapLauncher launcher) throws Exception {
    String threadBefore = ids("thread-self");
    String processBefore = ids("self");
    credentialsOf(launcher);
    assertThat(ids("thread-self")).isEqualTo(threadBefore);
    List<String> missing = new ArrayList<>(launcher.dropPrivileges());
    missing.add("/no/such/program");
    assertThatThrownBy(() -> launcher.spawn(missing, new int[] {-1, -1, -1})).isInstanceOf(ZygoteException.class);
    assertThat(ids("thread-self")).isEqualTo(threadBefore);
    assertThat(ids("self")).isEqualTo(processBefore);
    assertThat(threadBefore).contains("Uid:\t0\t0\t0\t0");
  }

  @Test
  void withoutItTheLauncherKeepsSetpriv() {
    System.setProperty("phantom.zygote.threadCredentials", "false");
    try {
      assertThat(ThreadCredentials.forSandboxUser(NOBODY, NOBODY)).isEmpty();
    } finally {
      System.clearProperty("phantom.zygote.threadCredentials");
    }
  }

  static void assumeRootWithSetpriv() {
    SandboxHost.assumeBubblewrap();
    assumeTrue(BwrapLauncher.runningAsRoot(), "switching ids needs root");
    assumeTrue(ThreadCredentials.forSandboxUser(NOBODY, NOBODY).isPresent(), "this host refuses per-thread ids");
  }

  static BwrapLauncher launcher(boolean threadCredentials) {
    if (!threadCredentials) {
      System.setProperty("phantom.zygote.threadCredentials", "false");
    }
    try {
      BwrapLauncher launcher = new BwrapLauncher(BwrapInstallation.detect(Optional.empty(), true, "test"), NOBODY, NOBODY);
      assertThat(launcher.dropPrivileges()).isNotEmpty();
      return launcher;
    } finally {
      System.clearProperty("phantom.zygote.threadCredentials");
    }
  }

  /** The credential lines of /proc/self/status of a process the launcher spawns as the sandbox user. */
  static String credentialsOf(BwrapLauncher launcher) throws Exception {
    LibC libc = LibC.get();
    Pipe out = Pipe.open(libc);
    List<String> argv = new ArrayList<>(launcher.dropPrivileges());
    argv.addAll(List.of("/bin/cat", "/proc/self/status"));
    int pid = launcher.spawn(argv, new int[] {-1, out.write, -1});
    libc.close(out.write);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    byte[] buffer = new byte[4096];
    for (long n; (n = LibC.readRetrying(libc, out.read, buffer)) > 0; ) {
      bytes.write(buffer, 0, (int) n);
    }
    libc.close(out.read);
    libc.waitpid(pid, new int[1], 0);
    return bytes.toString(StandardCharsets.UTF_8).lines().filter(l -> KEYS.stream().anyMatch(l::startsWith))
        .collect(Collectors.joining("\n"));
  }

  static String ids(String which) throws Exception {
    return Files.readString(Path.of("/proc/" + which + "/status")).lines()
        .filter(l -> KEYS.stream().anyMatch(l::startsWith)).collect(Collectors.joining("\n"));
  }
}
