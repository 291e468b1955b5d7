package dev.phantom.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.policy.core.Arch;
import dev.phantom.policy.core.CompiledPolicy;
import dev.phantom.policy.core.PolicyCompiler;
import dev.phantom.policy.yaml.ProfileLoader;
import dev.phantom.support.testing.SandboxHost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The compiled filter of the built-in profiles installed by the real kernel through
 * {@code bwrap --seccomp 3}: denied calls fail with the profile's errno, everything else works.
 */
class SeccompFilterIT {

  @TempDir
  static Path dir;
  private static Path filter;

  @BeforeAll
  static void compile() throws IOException {
    SandboxHost.assumeBubblewrap();
    String uname = dev.phantom.support.HostArch.current();
    Arch arch = Arch.fromUname(uname).orElseThrow(() -> new AssertionError("unsupported host arch " + uname));
    CompiledPolicy policy = new PolicyCompiler(ClasspathSyscalls.load()).compile(
        ProfileLoader.load(SeccompFilterIT.class.getClassLoader(), List.of()).get("python-dev"), arch);
    filter = Files.write(dir.resolve("filter.bpf"), policy.filter().toBytes());
  }

  /** Runs {@code script} under /bin/sh in a sandbox with the filter; returns exit status and output. */
  private static String sandboxed(String script) throws Exception {
    String bwrap = "exec bwrap --seccomp 3 --ro-bind /usr /usr --symlink usr/bin /bin --symlink usr/lib /lib"
        + " --symlink usr/lib64 /lib64 --proc /proc --dev /dev --tmpfs /tmp --unshare-all --die-with-parent"
        + " -- /bin/sh -c \"$1\" 3< \"$2\"";
    Process p = new ProcessBuilder("bash", "-c", bwrap, "bash", script, filter.toString())
        .redirectErrorStream(true).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("sandbox finished").isTrue();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    return p.exitValue() + ":" + out;
  }

  @Test
  void allowedCommandsRun() throws Exception {
    assertThat(sandboxed("echo ok && ls / >/dev/null && /usr/bin/python3 -c 'print(6*7)'")).isEqualTo("0:ok\n42");
  }

  @Test
  void unshareIsRefusedWithEperm() throws Exception {
    assertThat(sandboxed("unshare -U true 2>&1; echo exit=$?"))
        .startsWith("0:").contains("Operation not permitted").endsWith("exit=1");
  }

  @Test
  void deniedSyscallsReturnTheirErrno() throws Exception {
    // Through libc, so the test does not depend on which os.* wrappers this python has.
    String py = """
        import ctypes, errno, os
        libc = ctypes.CDLL(None, use_errno=True)
        def call(name, *args):
            ctypes.set_errno(0)
            rc = getattr(libc, name)(*args)
            return f"{rc} {errno.errorcode.get(ctypes.get_errno(), 'OK')}"
        print(call('sethostname', b'x', 1))
        print(call('unshare', 0x10000000))
        print(call('syscall', 435, 0, 0))
        print(call('getppid') != '-1', os.getcwd())
        """;
    String result = sandboxed("/usr/bin/python3 -c \"$(cat <<'EOF'\n" + py + "EOF\n)\"");
    // sethostname and unshare(CLONE_NEWUSER): EPERM; clone3 (435): ENOSYS; allowed calls still work
    assertThat(result).isEqualTo("0:-1 EPERM\n-1 EPERM\n-1 ENOSYS\nTrue /");
  }
}
