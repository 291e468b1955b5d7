package dev.phantom.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phantom.policy.core.Arch;
import dev.phantom.policy.core.CompiledPolicy;
import dev.phantom.policy.core.PolicyCompiler;
import dev.phantom.policy.yaml.ProfileLibrary;
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
  private static Path strict;
  private static Path custom;

  /** Exercises the actions and errno spellings; extends python-dev so python still starts. */
  static final String CUSTOM = """
      name: custom
      extends: python-dev
      seccomp:
        rules:
          - {action: errno 42, syscalls: [getpriority]}
          - {action: errno(EACCES), syscalls: [getsid]}
          - {action: kill-process, syscalls: [sched_getaffinity]}
          - {action: trap, syscalls: [sched_getscheduler]}
      """;

  @BeforeAll
  static void compile() throws IOException {
    SandboxHost.assumeBubblewrap();
    String uname = dev.phantom.support.HostArch.current();
    Arch arch = Arch.fromUname(uname).orElseThrow(() -> new AssertionError("unsupported host arch " + uname));
    PolicyCompiler compiler = new PolicyCompiler(ClasspathSyscalls.load());
    ProfileLibrary library = ProfileLoader.library(SeccompFilterIT.class.getClassLoader(), List.of(),
        ClasspathSyscalls.load());
    CompiledPolicy policy = compiler.compile(library.find("python-dev").orElseThrow().profile(), arch);
    filter = Files.write(dir.resolve("filter.bpf"), policy.filter().toBytes());
    strict = Files.write(dir.resolve("strict.bpf"),
        compiler.compile(library.find("strict").orElseThrow().profile(), arch).filter().toBytes());
    custom = Files.write(dir.resolve("custom.bpf"),
        compiler.compile(library.readInline("custom.yaml", CUSTOM).profile(), arch).filter().toBytes());
  }

  /** Runs {@code script} under /bin/sh in a sandbox with the filter; returns exit status and output. */
  private static String sandboxed(String script) throws Exception {
    return sandboxed(script, filter);
  }

  private static String sandboxed(String script, Path filter) throws Exception {
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

  @Test
  void threadedToolchainsRunUnderTheFilter() throws Exception {
    // clone(2) with thread flags must pass the namespace-flag check; skipped per toolchain when absent.
    String script = """
        if [ -x /usr/bin/node ]; then env -i /usr/bin/node -e 'console.log("node", 6*7)'; else echo node 42; fi
        for j in /usr/lib/jvm/*/bin/java; do [ -x "$j" ] && { "$j" -version >/dev/null 2>&1 && echo "java ok" || echo "java FAILED $j"; }; done
        echo done
        """;
    String out = sandboxed(script);
    assertThat(out).startsWith("0:node 42\n").endsWith("done").doesNotContain("FAILED");
  }

  @Test
  void rawAndPacketSocketsAreRefusedWhileOrdinaryOnesWork() throws Exception {
    String py = """
        import socket, errno
        def try_(family, kind):
            try:
                socket.socket(family, kind).close()
                return "ok"
            except OSError as e:
                return errno.errorcode.get(e.errno, str(e.errno))
        print(try_(socket.AF_PACKET, socket.SOCK_RAW))
        print(try_(socket.AF_INET, socket.SOCK_RAW))
        print(try_(socket.AF_INET6, socket.SOCK_RAW | socket.SOCK_CLOEXEC))
        print(try_(socket.AF_INET, socket.SOCK_STREAM))
        print(try_(socket.AF_UNIX, socket.SOCK_STREAM))
        print(try_(socket.AF_INET, socket.SOCK_DGRAM))
        """;
    assertThat(sandboxed("/usr/bin/python3 -c \"$(cat <<'EOF'\n" + py + "EOF\n)\""))
        .isEqualTo("0:EPERM\nEPERM\nEPERM\nok\nok\nok");
  }

  @Test
  void tiocstiAndNewUserNamespacesThroughCloneAreRefused() throws Exception {
    // Without the filter, TIOCSTI on a non-terminal fails with ENOTTY and clone(CLONE_NEWUSER)
    // succeeds in bubblewrap's user namespace; with it, both are EPERM.
    String py = """
        import ctypes, errno, fcntl, os, termios
        try:
            fcntl.ioctl(0, termios.TIOCSTI, b'x')
            print("ioctl ok")
        except OSError as e:
            print("ioctl", errno.errorcode[e.errno])
        try:
            fcntl.ioctl(0, termios.TIOCGWINSZ, b'12345678')
            print("winsz ok")
        except OSError as e:
            print("winsz", errno.errorcode[e.errno])
        libc = ctypes.CDLL(None, use_errno=True)
        nr = {"x86_64": 56, "aarch64": 220}[os.uname().machine]
        ctypes.set_errno(0)
        rc = libc.syscall(nr, ctypes.c_ulong(0x10000000 | 17), 0, 0, 0, 0)
        if rc == 0:
            os._exit(0)
        print("clone", rc, errno.errorcode.get(ctypes.get_errno(), "OK"))
        if rc > 0:
            os.waitpid(rc, 0)
        try:
            os.unshare(os.CLONE_NEWUSER)
            print("unshare ok")
        except AttributeError:
            print("unshare EPERM")  # python < 3.12 has no os.unshare; the libc test above covers it
        except OSError as e:
            print("unshare", errno.errorcode[e.errno])
        pid = os.fork()
        if pid == 0:
            os._exit(7)
        print("fork", os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
        """;
    assertThat(sandboxed("/usr/bin/python3 -c \"$(cat <<'EOF'\n" + py + "EOF\n)\" </dev/null"))
        .isEqualTo("0:ioctl EPERM\nwinsz ENOTTY\nclone -1 EPERM\nunshare EPERM\nfork 7");
  }

  private static String python(String code) {
    return "/usr/bin/python3 -c \"$(cat <<'EOF'\n" + code + "EOF\n)\"";
  }

  @Test
  void strictAllowsUnixSocketsOnly() throws Exception {
    String py = """
        import socket, errno
        def try_(family, kind):
            try:
                socket.socket(family, kind).close()
                return "ok"
            except OSError as e:
                return errno.errorcode.get(e.errno, str(e.errno))
        print(try_(socket.AF_UNIX, socket.SOCK_STREAM))
        print(try_(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC))
        print(try_(socket.AF_INET, socket.SOCK_STREAM))
        print(try_(socket.AF_INET6, socket.SOCK_DGRAM))
        print(try_(socket.AF_NETLINK, socket.SOCK_DGRAM))
        print(try_(socket.AF_PACKET, socket.SOCK_DGRAM))
        """;
    assertThat(sandboxed(python(py), strict)).isEqualTo("0:ok\nok\nEAFNOSUPPORT\nEAFNOSUPPORT\nEAFNOSUPPORT\nEPERM");
  }

  @Test
  void errnoNumbersAndNamesAreReturnedAsConfigured() throws Exception {
    String py = """
        import os, errno
        for name, call in (("getpriority", lambda: os.getpriority(os.PRIO_PROCESS, 0)), ("getsid", lambda: os.getsid(0))):
            try:
                call()
                print(name, "ok")
            except OSError as e:
                print(name, e.errno, errno.errorcode.get(e.errno))
        print("getppid", os.getppid() > 0)
        """;
    assertThat(sandboxed(python(py), custom)).isEqualTo("0:getpriority 42 ENOMSG\ngetsid 13 EACCES\ngetppid True");
  }

  @Test
  void killProcessAndTrapEndTheProcessWithSigsys() throws Exception {
    // 159 = 128 + SIGSYS (31): the shell reports the signal that ended python
    assertThat(sandboxed(python("""
        import os
        print("before", flush=True)
        os.sched_getaffinity(0)
        print("after")
        """) + "; echo status=$?", custom)).startsWith("0:before\n").endsWith("status=159").doesNotContain("after");
    assertThat(sandboxed(python("""
        import os
        print("before", flush=True)
        os.sched_getscheduler(0)
        print("after")
        """) + "; echo status=$?", custom)).startsWith("0:before\n").endsWith("status=159").doesNotContain("after");
  }
}
