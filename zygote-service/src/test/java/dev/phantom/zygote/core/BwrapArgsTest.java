package dev.phantom.zygote.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.zygote.TestProfiles;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BwrapArgsTest {

  private static final List<Mount> EVERY_KIND = List.of(
      new Mount.ReadOnlyBind("/usr", "/usr", false),
      new Mount.ReadOnlyBind("/etc/ssl", "/etc/ssl", true),
      new Mount.Bind("/srv/work", "/work", false),
      new Mount.Bind("/srv/cache", "/cache", true),
      new Mount.Symlink("usr/bin", "/bin"),
      new Mount.Proc("/proc"),
      new Mount.Dev("/dev"),
      new Mount.Tmpfs("/tmp", 1048576),
      new Mount.Tmpfs("/run", 0),
      new Mount.Dir("/home/agent"));

  private static SandboxProfile profile() {
    return new SandboxProfile("golden", "d1", TestProfiles.ALLOW_ALL, EVERY_KIND,
        Map.of("PATH", "/usr/bin", "LANG", "C.UTF-8"), "sbx", "/home/agent", 1000, 1001,
        new SandboxProfile.Limits(0, 0, 0));
  }

  private static RunSpec run(List<String> argv, Map<String, String> env) {
    return new RunSpec("r1", argv, new byte[0], env, Duration.ofSeconds(1), 100);
  }

  @Test
  void goldenArgv() {
    List<String> args = BwrapArgs.build(new BwrapFeatures(true), profile(),
        run(List.of("python3", "-c", "print(1)"), Map.of("Z", "last", "A", "first")));

    assertThat(args).containsExactly(
        "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--disable-userns",
        "--cap-drop", "ALL", "--uid", "1000", "--gid", "1001", "--hostname", "sbx",
        "--clearenv",
        "--setenv", "LANG", "C.UTF-8", "--setenv", "PATH", "/usr/bin",
        "--setenv", "A", "first", "--setenv", "Z", "last",
        "--chdir", "/home/agent",
        "--ro-bind", "/usr", "/usr",
        "--ro-bind-try", "/etc/ssl", "/etc/ssl",
        "--bind", "/srv/work", "/work",
        "--bind-try", "/srv/cache", "/cache",
        "--symlink", "usr/bin", "/bin",
        "--proc", "/proc",
        "--dev", "/dev", "--size", "67108864", "--tmpfs", "/dev/shm",
        "--size", "1048576", "--tmpfs", "/tmp",
        "--tmpfs", "/run",
        "--dir", "/home/agent",
        "--remount-ro", "/dev",
        "--remount-ro", "/",
        "--seccomp", "3",
        "--json-status-fd", "4",
        "--", "python3", "-c", "print(1)");
  }

  @Test
  void withoutDisableUsernsSupportTheFlagIsLeftOut() {
    List<String> args = BwrapArgs.build(new BwrapFeatures(false), profile(), run(List.of("true"), Map.of()));
    assertThat(args).doesNotContain("--disable-userns").contains("--unshare-user");
  }

  @Test
  void requestEnvComesAfterProfileEnvSoItWins() {
    List<String> args = BwrapArgs.build(new BwrapFeatures(true), profile(), run(List.of("true"), Map.of("PATH", "/x")));
    String joined = String.join(" ", args);
    assertThat(joined.indexOf("--setenv PATH /x")).isGreaterThan(joined.indexOf("--setenv PATH /usr/bin"));
  }

  @Test
  void argvAfterTheSeparatorIsNeverParsedAsOptions() {
    List<String> args = BwrapArgs.build(new BwrapFeatures(true), profile(), run(List.of("--bind", "/", "/"), Map.of()));
    assertThat(args.subList(args.indexOf("--"), args.size())).containsExactly("--", "--bind", "/", "/");
  }

  @Test
  void invalidRequestsListEveryProblem() {
    assertThatThrownBy(() -> BwrapArgs.build(new BwrapFeatures(true), profile(),
        run(List.of(), Map.of("A=B", "x", "OK", "nul\0"))))
        .isInstanceOfSatisfying(ZygoteException.class, e -> {
          assertThat(e.reason()).isEqualTo(ZygoteException.Reason.INVALID_REQUEST);
          assertThat(e.getMessage()).contains("argv is empty", "'A=B'", "env OK contains a NUL");
        });
  }

  @Test
  void seccompProgramMustBeWholeInstructions() {
    SandboxProfile bad = new SandboxProfile("bad", "", new byte[7], List.of(), Map.of(), "", "", 0, 0,
        new SandboxProfile.Limits(0, 0, 0));
    assertThatThrownBy(() -> BwrapArgs.build(new BwrapFeatures(true), bad, run(List.of("true"), Map.of())))
        .hasMessageContaining("multiple of 8");
  }
}
