package dev.phantom.policy.core;

import static dev.phantom.policy.core.TestProfiles.BUILTIN;
import static dev.phantom.policy.core.TestProfiles.SYSCALLS;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proof (d): the compiled bytes of every shipped profile, per arch, as reviewed files under
 * {@code src/test/resources/golden/<profile>.<arch>.hex} (one 8-byte instruction per line, in file
 * order, then a {@code #} listing for the reader). Any change to the compiler's output or to a profile
 * fails here until the files are regenerated and the diff reviewed:
 * {@code ./mvnw -o -pl policy-compiler-service test -Dtest=GoldenFilesTest -Dphantom.golden.update=true}.
 */
class GoldenFilesTest {

  static final Path DIR = Path.of("src/test/resources/golden");

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String name : BUILTIN.keySet()) {
      for (Arch arch : Arch.values()) {
        out.add(Arguments.of(name, arch));
      }
    }
    return out.stream();
  }

  static String render(BpfProgram program, Arch arch) {
    StringBuilder out = new StringBuilder();
    byte[] bytes = program.toBytes();
    for (int i = 0; i < bytes.length; i += Bpf.INSTRUCTION_BYTES) {
      out.append(HexFormat.of().formatHex(bytes, i, i + Bpf.INSTRUCTION_BYTES)).append('\n');
    }
    for (String line : Disassembler.listing(program, SYSCALLS.table(arch)).split("\n")) {
      out.append("# ").append(line).append('\n');
    }
    return out.toString();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void compiledBytesMatchTheReviewedFile(String name, Arch arch) throws IOException {
    BpfProgram program = new SeccompCompiler(SYSCALLS).compile(BUILTIN.get(name).seccomp(), arch);
    String actual = render(program, arch);
    Path file = DIR.resolve(name + "." + arch.unameName() + ".hex");
    if (Boolean.getBoolean("phantom.golden.update")) {
      Files.createDirectories(DIR);
      Files.writeString(file, actual, StandardCharsets.UTF_8);
    }
    assertThat(file).as("golden file; regenerate with -Dphantom.golden.update=true and review the diff").exists();
    assertThat(Files.readString(file, StandardCharsets.UTF_8)).as("%s (regenerate with -Dphantom.golden.update=true"
        + " and review the diff)", file).isEqualTo(actual);
    // the hex lines are exactly the bytes bwrap reads
    StringBuilder hex = new StringBuilder();
    Files.readAllLines(file).stream().filter(l -> !l.startsWith("#")).forEach(hex::append);
    assertThat(HexFormat.of().parseHex(hex)).isEqualTo(program.toBytes());
  }
}
