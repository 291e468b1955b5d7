package dev.phantom.zygote.bwrap;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * The few libc calls the launcher needs. jnr-posix's {@code posix_spawnp} cannot close inherited
 * descriptors or reset signal dispositions in the child, so the spawn is called directly.
 */
public interface LibC {

  int O_CLOEXEC = 0x80000;
  int EINTR = 4;
  int EPIPE = 32;
  int SIGKILL = 9;
  int SIGCONT = 18;
  int SIGSTOP = 19;
  int P_PID = 1;
  int WEXITED = 4;
  int WNOWAIT = 0x01000000;
  int WNOHANG = 1;
  /** Offset of si_pid in a 64-bit siginfo_t (after si_signo, si_errno, si_code and padding). */
  int SIGINFO_PID_OFFSET = 16;
  short POSIX_SPAWN_SETSIGDEF = 0x04;
  short POSIX_SPAWN_SETSIGMASK = 0x08;
  /** Generous upper bounds of glibc's opaque types on 64-bit (80, 336 and 128 bytes). */
  int FILE_ACTIONS_SIZE = 256;
  int SPAWNATTR_SIZE = 512;
  int SIGSET_SIZE = 256;
  int SIGINFO_SIZE = 256;

  int F_DUPFD_CLOEXEC = 1030;
  int F_GETFL = 3;
  int F_SETFL = 4;
  int O_RDONLY = 0;
  int O_WRONLY = 1;
  int O_RDWR = 2;
  int O_NONBLOCK = 0x800;
  int O_NOFOLLOW = 0x20000;
  int O_DIRECTORY = 0x10000;
  int O_PATH = 0x200000;
  int EAGAIN = 11;
  int ENXIO = 6;

  /** {@code mode} is used only with O_CREAT; never called with it here. */
  int open(String path, int flags, int mode);

  int mkfifo(String path, int mode);

  int pipe2(@Out int[] fds, int flags);

  int fcntl(int fd, int cmd, int arg);

  int fchown(int fd, int owner, int group);

  /** struct pollfd: int fd, short events, short revents. */
  int POLLFD_SIZE = 8;
  short POLLIN = 1;

  int poll(Pointer fds, long nfds, int timeout);

  int close(int fd);

  long read(int fd, @Out byte[] buf, long count);

  long write(int fd, @In byte[] buf, long count);

  int kill(int pid, int signal);

  int waitpid(int pid, @Out int[] status, int options);

  int waitid(int idtype, int id, Pointer info, int options);

  int geteuid();

  int prctl(int option, long arg2, long arg3, long arg4, long arg5);

  int getuid();

  int getgid();

  int getresgid(@Out int[] rgid, @Out int[] egid, @Out int[] sgid);

  int getgroups(int size, @Out int[] list);

  /**
   * A raw system call: for the id changes of {@link ThreadCredentials}, which glibc's wrappers would make on
   * every thread of the process instead of the caller alone.
   */
  long syscall(long number, long a1, long a2, long a3);

  /** Flushes the filesystem holding {@code fd}: one call makes a whole batch of written files durable. */
  int syncfs(int fd);

  int RLIMIT_FSIZE = 1;
  int RLIMIT_CORE = 4;
  int RLIMIT_NOFILE = 7;
  long RLIM_INFINITY = -1L;

  /** {@code newLimit} and {@code oldLimit} point to {@code struct rlimit} (two 64-bit values) or are null. */
  int prlimit(int pid, int resource, Pointer newLimit, Pointer oldLimit);

  long MS_NOSUID = 2;
  long MS_NODEV = 4;
  int MNT_DETACH = 2;
  int UMOUNT_NOFOLLOW = 8;

  int mount(String source, String target, String fstype, long flags, String data);

  int umount2(String target, int flags);

  int posix_spawn_file_actions_init(Pointer actions);

  int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newfd);

  /** glibc ignores EBADF in the child for an in-range descriptor that is not open. */
  int posix_spawn_file_actions_addclose(Pointer actions, int fd);

  /** glibc 2.34+: closes every descriptor >= {@code from} in the child, whatever its CLOEXEC flag. */
  int posix_spawn_file_actions_addclosefrom_np(Pointer actions, int from);

  int posix_spawn_file_actions_destroy(Pointer actions);

  int posix_spawnattr_init(Pointer attr);

  int posix_spawnattr_setflags(Pointer attr, short flags);

  int posix_spawnattr_setsigdefault(Pointer attr, Pointer set);

  int posix_spawnattr_setsigmask(Pointer attr, Pointer set);

  int posix_spawnattr_destroy(Pointer attr);

  int sigfillset(Pointer set);

  int sigemptyset(Pointer set);

  /**
   * Returns 0 or an error number (not errno). argv and envp are built by
   * {@link dev.phantom.support.process.NativeStrings}: jnr-ffi's own String[] conversion leaves the
   * terminating slot uninitialised (allocateDirect without clearing), so execve now and then read a garbage
   * pointer past the last argument and failed with EFAULT.
   */
  int posix_spawn(@Out int[] pid, String path, Pointer actions, Pointer attr, Pointer argv, Pointer envp);

  int AF_UNIX = 1;
  int SOCK_SEQPACKET = 5;
  int SOCK_CLOEXEC = 0x80000;
  int SOL_SOCKET = 1;
  int SCM_RIGHTS = 1;
  int MSG_NOSIGNAL = 0x4000;
  int MSG_CMSG_CLOEXEC = 0x40000000;
  /** struct msghdr on 64-bit Linux: name, namelen (+pad), iov, iovlen, control, controllen, flags (+pad). */
  int MSGHDR_SIZE = 56;

  int socketpair(int domain, int type, int protocol, @Out int[] fds);

  long sendmsg(int fd, Pointer msg, int flags);

  long recvmsg(int fd, Pointer msg, int flags);

  /** The process-wide binding, loaded on first use. */
  static LibC get() {
    return Holder.LIBC;
  }

  /** read(2), retried while a signal interrupts it: the bytes read, 0 at end of file, or -1 (see errno). */
  static long readRetrying(LibC libc, int fd, byte[] buffer) {
    while (true) {
      long n = libc.read(fd, buffer, buffer.length);
      if (n >= 0 || errno() != EINTR) {
        return n;
      }
    }
  }

  /** errno of the calling thread's last call through this binding. */
  static int errno() {
    return jnr.ffi.Runtime.getRuntime(Holder.LIBC).getLastError();
  }

  /** Lazy holder: loading libc must not happen when the class is merely referenced. */
  final class Holder {
    private Holder() {}

    static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
  }
}
