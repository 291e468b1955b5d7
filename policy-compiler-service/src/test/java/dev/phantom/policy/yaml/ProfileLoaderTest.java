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

  @Test
  void builtinProfilesLoad() {
    Map<String, Profile> profiles = ProfileLoader.load(CL, List.of());
    assertThat(profiles.keySet()).containsExactly("minimal", "python-dev");
    Profile minimal = profiles.get("minimal");
    assertThat(minimal.mounts()).contains(
        new MountSpec(MountKind.RO_BIND, "/usr", "/usr", false, 0),
        new MountSpec(MountKind.SYMLINK, "usr/bin", "/bin", false, 0),
        new MountSpec(MountKind.PROC, "", "/proc", false, 0),
        new MountSpec(MountKind.DEV, "", "/dev", false, 0));
    assertThat(minimal.mounts()).noneMatch(m -> m.source().equals("/etc") || m.source().startsWith("/etc/shadow"));
    assertThat(minimal.hostname()).isEqualTo("sandbox");
    assertThat(minimal.limits().maxOutputBytes()).isEqualTo(1 << 20);
  }

  @Test
  void extraDirectoriesAddProfilesAndEveryFileIsChecked(@TempDir Path dir) throws IOException {
    String minimal = new String(CL.getResourceAsStream("profiles/minimal.yaml").readAllBytes());
    Files.writeString(dir.resolve("custom.yaml"), minimal.replace("name: minimal", "name: custom"));
    Files.writeString(dir.resolve("ignored.txt"), "not a profile");
    assertThat(ProfileLoader.load(CL, List.of(dir)).keySet()).containsExactly("custom", "minimal", "python-dev");

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
