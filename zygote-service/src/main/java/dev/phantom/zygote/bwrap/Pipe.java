package dev.phantom.zygote.bwrap;

import dev.phantom.zygote.core.ZygoteException;

/**
 * A pipe whose both ends are close-on-exec from birth (pipe2 with O_CLOEXEC), so a concurrent spawn can
 * never inherit it: a leaked write end would keep a reader of another run waiting forever.
 */
final class Pipe {

  final int read;
  final int write;

  private Pipe(int read, int write) {
    this.read = read;
    this.write = write;
  }

  static Pipe open(LibC libc) {
    int[] fds = new int[2];
    if (libc.pipe2(fds, LibC.O_CLOEXEC) != 0) {
      throw new ZygoteException(ZygoteException.Reason.SPAWN, "pipe2 failed: errno " + LibC.errno());
    }
    return new Pipe(aboveChildFds(libc, fds[0]), aboveChildFds(libc, fds[1]));
  }

  /**
   * Moves a descriptor to {@value #FIRST_FREE} or above, so that no pipe end is itself one of the child's
   * target descriptors 0-6 (a dup2 onto an earlier target would clobber a later source).
   */
  static int aboveChildFds(LibC libc, int fd) {
    if (fd >= FIRST_FREE) {
      return fd;
    }
    int moved = libc.fcntl(fd, LibC.F_DUPFD_CLOEXEC, FIRST_FREE);
    int errno = LibC.errno();
    libc.close(fd);
    if (moved < 0) {
      throw new ZygoteException(ZygoteException.Reason.SPAWN, "fcntl(F_DUPFD_CLOEXEC) failed: errno " + errno);
    }
    return moved;
  }

  /** The first descriptor the child does not receive on purpose; everything from here is closed in it. */
  static final int FIRST_FREE = 7;
}
