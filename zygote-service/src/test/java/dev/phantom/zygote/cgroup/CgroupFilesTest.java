package dev.phantom.zygote.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Numbers as cgroupfs files hold them: one value, or "key value" lines. */
class CgroupFilesTest {

  @ParameterizedTest(name = "''{0}'' -> {1}")
  @CsvSource(nullValues = "none", value = {
      "0, 0", "1234, 1234", "9223372036854771712, 9223372036854771712", "99999999999999999999, none",
      "max, none", "-1, none", "12a, none", "'', none", "1 2, none"})
  void aNumberIsDecimalDigitsThatFitALong(String text, Long expected) {
    assertThat(CgroupFiles.number(text)).isEqualTo(expected == null ? OptionalLong.empty() : OptionalLong.of(expected));
  }

  @Test
  void valuesAreReadStrippedAndByKey(@TempDir Path dir) throws Exception {
    Path usage = Files.writeString(dir.resolve("cpuacct.usage_user"), "123456789\n");
    Path limit = Files.writeString(dir.resolve("memory.max"), "max\n");
    Path oom = Files.writeString(dir.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill   3\n");

    assertThat(CgroupFiles.readLong(usage)).hasValue(123456789);
    assertThat(CgroupFiles.readLong(limit)).isEmpty();
    assertThat(CgroupFiles.readLong(dir.resolve("missing"))).isEmpty();
    assertThat(CgroupFiles.keyed(oom, "oom_kill")).hasValue(3);
    assertThat(CgroupFiles.keyed(oom, "under_oom")).hasValue(0);
    assertThat(CgroupFiles.keyed(oom, "oom")).isEmpty();
  }
}
