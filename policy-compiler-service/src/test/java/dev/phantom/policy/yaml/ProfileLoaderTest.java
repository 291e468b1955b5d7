package dev.phantom.policy.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.policy.core.MountKind;
import dev.phantom.policy.core.MountSpec;
import dev.phantom.policy.core.Profile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfileLoaderTest {

  private static final ClassLoader CL = ProfileLoaderTest.class.getClassLoader();

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {
      "go-dev", "java-dev", "minimal", "node-dev", "python-dev", "rust-dev", "strict"})
  void everyBuiltinHasAWorkspaceSizedTmpAndLimits(String name) {
    Profile p = ProfileLoader.load(CL, List.of()).get(name);
    assertThat(p.mounts()).filteredOn(m -> m.kind() == MountKind.WORKSPACE).singleElement()
        .satisfies(m -> assertThat(m.target()).isEqualTo("/workspace"))
        .satisfies(m -> assertThat(m.sizeBytes()).isBetween(64L << 20, 256L << 20));
    assertThat(p.mounts()).filteredOn(m -> m.kind() == MountKind.TMPFS).singleElement()
        .satisfies(m -> assertThat(m.target()).isEqualTo("/tmp"))
        .satisfies(m -> assertThat(m.sizeBytes()).isPositive());
    assertThat(p.mounts()).as("nothing from /root").noneMatch(m -> m.source().startsWith("/root"));
    assertThat(p.mounts()).as("only the workspace and tmpfs are writable")
        .noneMatch(m -> m.kind() == MountKind.BIND);
    assertThat(p.cwd()).isEqualTo("/workspace");
    assertThat(p.env()).containsEntry("HOME", "/workspace");
    assertThat(p.network()).isEqualTo(dev.phantom.policy.core.NetworkMode.DISABLED);
    assertThat(p.uid()).isEqualTo(1000);
    assertThat(p.gid()).isEqualTo(1000);
    var l = p.limits();
    assertThat(l.maxOutputBytes()).isEqualTo(1 << 20);
    assertThat(l.maxOpenFiles()).isPositive();
    if (name.endsWith("-dev")) {
      assertThat(l.defaultMemoryBytes()).isEqualTo(512L << 20);
      assertThat(l.maxMemoryBytes()).isEqualTo(2L << 30);
      assertThat(l.defaultPids()).isEqualTo(128);
      assertThat(l.maxPids()).isEqualTo(1024);
      assertThat(l.defaultCpuMillicores()).isEqualTo(1000);
      assertThat(l.maxCpuMillicores()).isEqualTo(2000);
      assertThat(l.maxFileSizeBytes()).isEqualTo(256L << 20);
      assertThat(l.maxOpenFiles()).isEqualTo(1024);
    }
    if (name.equals("strict")) {
      assertThat(l.defaultMemoryBytes()).isEqualTo(256L << 20);
    }
    // the shared baseline of the filter
    var seccomp = p.seccomp();
    for (String denied : List.of("mount", "unshare", "setns", "ptrace", "bpf", "io_uring_setup", "keyctl",
        "kexec_load", "init_module", "open_by_handle_at", "kcmp", "userfaultfd", "perf_event_open")) {
      assertThat(seccomp.decide(denied, new long[6]).describe()).as(denied).isEqualTo("errno EPERM");
    }
    assertThat(seccomp.decide("clone3", new long[6]).describe()).isEqualTo("errno ENOSYS");
    assertThat(seccomp.decide("socket", new long[] {17, 2, 0}).describe()).isEqualTo("errno EPERM");
    assertThat(seccomp.decide("socket", new long[] {2, 3, 1}).describe()).isEqualTo("errno EPERM");
    assertThat(seccomp.decide("ioctl", new long[] {0, 0x5412, 0}).describe()).isEqualTo("errno EPERM");
    assertThat(seccomp.decide("clone", new long[] {0x10000011L, 0}).describe()).isEqualTo("errno EPERM");
    assertThat(seccomp.decide("clone", new long[] {0x3d0f00, 0}).describe()).isEqualTo("allow");
  }

  @Test
  void builtinProfilesLoad() {
    Map<String, Profile> profiles = ProfileLoader.load(CL, List.of());
    assertThat(profiles.keySet()).containsExactly("go-dev", "java-dev", "minimal", "node-dev", "python-dev", "rust-dev", "strict");
    Profile minimal = profiles.get("minimal");
    assertThat(minimal.mounts()).contains(
        new MountSpec(MountKind.RO_BIND, "/usr", "/usr", false, 0),
        new MountSpec(MountKind.SYMLINK, "usr/bin", "/bin", false, 0),
        new MountSpec(MountKind.PROC, "", "/proc", false, 0),
        new MountSpec(MountKind.DEV, "", "/dev", false, 0),
        new MountSpec(MountKind.WORKSPACE, "", "/workspace", false, 64L << 20));
    assertThat(minimal.mounts()).as("from /etc, minimal binds only the loader's cache, and optionally")
        .filteredOn(m -> m.source().startsWith("/etc"))
        .containsExactly(new MountSpec(MountKind.RO_BIND, "/etc/ld.so.cache", "/etc/ld.so.cache", true, 0));
    assertThat(minimal.hostname()).isEqualTo("sandbox");
    assertThat(minimal.limits().maxOutputBytes()).isEqualTo(1 << 20);
  }

  @Test
  void extraDirectoriesAddProfilesAndEveryFileIsChecked(@TempDir Path dir) throws IOException {
    String minimal = new String(CL.getResourceAsStream("profiles/minimal.yaml").readAllBytes());
    Files.writeString(dir.resolve("custom.yaml"), minimal.replace("name: minimal", "name: custom"));
    Files.writeString(dir.resolve("ignored.txt"), "not a profile");
    assertThat(ProfileLoader.load(CL, List.of(dir)).keySet()).containsExactly("custom", "go-dev", "java-dev", "minimal", "node-dev", "python-dev",
        "rust-dev", "strict");

    Files.writeString(dir.resolve("minimal.yaml"), minimal);
    Files.writeString(dir.resolve("broken.yaml"), minimal.replace("name: minimal", "name: broken").replace("uid: 1000", "uid: x"));
    assertThatThrownBy(() -> ProfileLoader.load(CL, List.of(dir, dir.resolve("missing"))))
        .isInstanceOfSatisfying(ProfileException.class, e -> assertThat(e.problems()).satisfiesExactlyInAnyOrder(
            p -> assertThat(p).startsWith(dir.resolve("broken.yaml") + ":").contains(": uid: expected an integer"),
            p -> assertThat(p).isEqualTo(dir.resolve("minimal.yaml")
                + ": profile 'minimal' is already defined by classpath:profiles/minimal.yaml"),
            p -> assertThat(p).startsWith(dir.resolve("missing") + ": cannot list profile directory")));
  }
}
