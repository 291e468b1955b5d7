package dev.phantom.policy.bench;

import dev.phantom.policy.core.Arch;
import dev.phantom.policy.core.BpfProgram;
import dev.phantom.policy.core.Profile;
import dev.phantom.policy.core.SeccompCompiler;
import dev.phantom.policy.core.TestProfiles;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Compile time of one profile's seccomp filter for x86_64 on a warm JVM (the YAML is read once). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PolicyBenchmark {

  @Param({"minimal", "strict", "python-dev", "node-dev", "go-dev", "rust-dev", "java-dev", "docker-default"})
  public String profile;

  private Profile loaded;
  private SeccompCompiler compiler;

  @Setup
  public void setup() {
    loaded = profile.equals("docker-default") ? TestProfiles.dockerDefault() : TestProfiles.BUILTIN.get(profile);
    compiler = new SeccompCompiler(TestProfiles.SYSCALLS);
  }

  @Benchmark
  public BpfProgram compile() {
    return compiler.compile(loaded.seccomp(), Arch.X86_64);
  }
}
