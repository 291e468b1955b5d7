package dev.phantom.policy.core;

import static dev.phantom.policy.core.TestProfiles.BUILTIN;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProfileDigestTest {

  private final Profile minimal = BUILTIN.get("minimal");

  @Test
  void isHexSha256AndStable() {
    String digest = ProfileDigest.of(minimal, "v1");
    assertThat(digest).matches("[0-9a-f]{64}").isEqualTo(ProfileDigest.of(minimal, "v1"));
  }

  @Test
  void changesWithMeaningAndCompilerVersion() {
    Map<String, String> env = new LinkedHashMap<>(minimal.env());
    env.put("LANG", "C");
    Profile changed = new Profile(minimal.name(), minimal.description(), minimal.mounts(), minimal.network(),
        env, minimal.hostname(), minimal.cwd(), minimal.uid(), minimal.gid(), minimal.limits(), minimal.seccomp());
    assertThat(ProfileDigest.of(changed, "v1")).isNotEqualTo(ProfileDigest.of(minimal, "v1"));
    assertThat(ProfileDigest.of(minimal, "v2")).isNotEqualTo(ProfileDigest.of(minimal, "v1"));
  }

  @Test
  void valuesCannotForgeLines() {
    Map<String, String> a = Map.of("A", "1\nenv \"B\"=\"2\"");
    Map<String, String> b = new LinkedHashMap<>();
    b.put("A", "1");
    b.put("B", "2");
    assertThat(ProfileDigest.canonical(with(a))).isNotEqualTo(ProfileDigest.canonical(with(b)));
  }

  private Profile with(Map<String, String> env) {
    return new Profile(minimal.name(), minimal.description(), minimal.mounts(), minimal.network(), env,
        minimal.hostname(), minimal.cwd(), minimal.uid(), minimal.gid(), minimal.limits(), minimal.seccomp());
  }
}
