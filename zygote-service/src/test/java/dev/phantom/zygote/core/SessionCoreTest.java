package dev.phantom.zygote.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The pure parts of sessions: scripts, agent reports, listings, tar, ids, times. */
class SessionCoreTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "plain|'plain'",
      "it's|'it'\\''s'",
      "$(rm -rf /)|'$(rm -rf /)'",
      "a b;c`d`|'a b;c`d`'",
      "''|''\\'''\\'''"})
  void quoteMakesOneInertWord(String raw, String quoted) {
    assertThat(ExecScripts.quote(raw)).isEqualTo(quoted);
  }

  @Test
  void commandScriptRedirectsThenQuotesEverything() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("GREETING", "hi 'there'");
    String script = ExecScripts.command("/.phantom", "abc123", List.of("sh", "-c", "echo $GREETING"), env, "/workspace/src");
    assertThat(script).isEqualTo("exec </.phantom/abc123/in >/.phantom/abc123/out 2>/.phantom/abc123/err\n"
        + "cd -- '/workspace/src' || exit 126\n"
        + "export GREETING='hi '\\''there'\\'''\n"
        + "exec 'sh' '-c' 'echo $GREETING'\n");
  }

  @ParameterizedTest
  @ValueSource(strings = {"A-B", "1X", "", "a=b", "x y"})
  void envNamesMustBeShellIdentifiers(String name) {
    assertThatThrownBy(() -> ExecScripts.command("/.phantom", "e1", List.of("true"), Map.of(name, "v"), "/workspace"))
        .isInstanceOfSatisfying(ZygoteException.class, e -> assertThat(e.reason()).isEqualTo(ZygoteException.Reason.INVALID_REQUEST));
  }

  @Test
  void execIdsAndArgvAreChecked() {
    assertThatThrownBy(() -> ExecScripts.readFile("/.phantom", "../x", "/workspace/a")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ExecScripts.command("/.phantom", "e1", List.of(), Map.of(), "/workspace"))
        .isInstanceOf(ZygoteException.class);
    assertThatThrownBy(() -> ExecScripts.command("/.phantom", "e1", List.of("a\0b"), Map.of(), "/workspace"))
        .isInstanceOf(ZygoteException.class);
    assertThat(ExecScripts.remove("/.phantom", "e1", List.of("/workspace/a b", "/workspace/c'd"), true))
        .endsWith("exec rm -fr -- '/workspace/a b' '/workspace/c'\\''d'\n");
    assertThat(ExecScripts.makeDirectories("/.phantom", "e1", List.of("/workspace/x"), 0750))
        .endsWith("exec mkdir -p -m 750 -- '/workspace/x'\n");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "r|Ready[]",
      "p abc 42|Started[execId=abc, pid=42]",
      "e abc 130|Exited[execId=abc, status=130]",
      "e abc 256|",
      "p abc 1|",
      "p abc -3|",
      "p a.b 4|",
      "x abc 4|",
      "p abc 4 5|",
      "p abc 1234567890|",
      "e  abc 1|"})
  void agentReportsAreParsedStrictly(String line, String expected) {
    Optional<AgentEvent> event = AgentEvent.parse(line);
    assertThat(event.map(Object::toString).orElse(null)).isEqualTo(expected == null ? null : expected);
  }

  @Test
  void findOutputBecomesEntriesAndGarbageIsSkipped() {
    String out = "f\0" + "32\0" + "644\0" + "1700000000.5000000000\0" + "calc.py\0"
        + "d\0" + "4096\0" + "755\0" + "1700000001\0" + "tests\0"
        + "l\0" + "11\0" + "777\0" + "1700000002.25\0" + "link\0"
        + "f\0" + "oops\0" + "644\0" + "1\0" + "bad\0";
    List<FileListing.Entry> entries = FileListing.parse(out.getBytes(StandardCharsets.UTF_8), "src");
    assertThat(entries).containsExactly(
        new FileListing.Entry("src/calc.py", FileListing.Type.REGULAR, 32, 0644, 1_700_000_000_500_000_000L),
        new FileListing.Entry("src/tests", FileListing.Type.DIRECTORY, 4096, 0755, 1_700_000_001_000_000_000L),
        new FileListing.Entry("src/link", FileListing.Type.SYMLINK, 11, 0777, 1_700_000_002_250_000_000L));
  }

  @Test
  void tarHasUstarHeadersLongNamesAndEndBlocks() {
    String longName = "d/" + "x".repeat(120);
    byte[] tar = TarWriter.archive(List.of(WorkspaceFile.of("a.txt", "hello".getBytes(StandardCharsets.UTF_8), 0600),
        WorkspaceFile.of(longName, new byte[0], 0)), 1_700_000_000L);
    assertThat(tar.length % 512).isZero();
    assertThat(new String(tar, 0, 5, StandardCharsets.US_ASCII)).isEqualTo("a.txt");
    assertThat(new String(tar, 100, 7, StandardCharsets.US_ASCII)).isEqualTo("0000600");
    assertThat(new String(tar, 124, 11, StandardCharsets.US_ASCII)).isEqualTo("00000000005");
    assertThat(new String(tar, 257, 5, StandardCharsets.US_ASCII)).isEqualTo("ustar");
    assertThat(new String(tar, 512, 5, StandardCharsets.US_ASCII)).isEqualTo("hello");
    assertThat(tar[1024 + 156]).isEqualTo((byte) 'L');
    assertThat(new String(tar, 1536, longName.length(), StandardCharsets.UTF_8)).isEqualTo(longName);
    long sum = 0;
    for (int i = 0; i < 512; i++) {
      sum += (i >= 148 && i < 156) ? ' ' : tar[i] & 0xff;
    }
    assertThat(Long.parseLong(new String(tar, 148, 6, StandardCharsets.US_ASCII), 8)).isEqualTo(sum);
  }

  @Test
  void idsCarryTheirNode() {
    String id = SessionIds.newId("node-1.x", new SplittableRandom(1));
    assertThat(id).startsWith("node-1.x.").matches("node-1\\.x\\.[a-z2-7]{26}");
    assertThat(SessionIds.nodeOf(id)).contains("node-1.x");
    assertThat(SessionIds.nodeOf("nodot")).isEmpty();
    assertThat(SessionIds.nodeOf("n.short")).isEmpty();
  }

  @Test
  void timesTakeDefaultsAndCaps() {
    Duration tenMin = Duration.ofMinutes(10);
    assertThat(SessionTimes.resolve(Optional.empty(), Optional.empty(), tenMin, Duration.ofHours(2)))
        .isEqualTo(new SessionTimes(tenMin, Duration.ofHours(1)));
    assertThat(SessionTimes.resolve(Optional.of(Duration.ofHours(3)), Optional.of(Duration.ofHours(5)), tenMin, Duration.ofHours(2)))
        .isEqualTo(new SessionTimes(Duration.ofHours(2), Duration.ofHours(2)));
    assertThatThrownBy(() -> SessionTimes.resolve(Optional.of(Duration.ZERO), Optional.empty(), tenMin, Duration.ofHours(2)))
        .isInstanceOf(ZygoteException.class);
  }
}
