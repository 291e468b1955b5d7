package dev.phantom.zygote.bwrap;

import dev.phantom.zygote.core.ZygoteException;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * A Unix SOCK_SEQPACKET socket pair carrying whole messages with descriptors attached (SCM_RIGHTS): how the
 * zygote hands a fork server the pipes of each new slot, and gets a pidfd of the slot back. The JDK has
 * no descriptor passing, so sendmsg/recvmsg are called directly with structs laid out for 64-bit Linux.
 */
final class SeqPacket {

  private static final int CMSG_HEADER = 16; // cmsg_len (size_t), cmsg_level, cmsg_type (ints)

  private SeqPacket() {}

  /** A message read, with the descriptors that came with it (now this process's to close). */
  record Received(byte[] bytes, int[] fds) {}

  /** Both ends close-on-exec, at {@link Pipe#FIRST_FREE} or above. */
  static int[] pair(LibC libc) {
    int[] fds = new int[2];
    if (libc.socketpair(LibC.AF_UNIX, LibC.SOCK_SEQPACKET | LibC.SOCK_CLOEXEC, 0, fds) != 0) {
      throw new ZygoteException(ZygoteException.Reason.SPAWN, "socketpair failed: errno " + LibC.errno());
    }
    return new int[] {Pipe.aboveChildFds(libc, fds[0]), Pipe.aboveChildFds(libc, fds[1])};
  }

  static void send(LibC libc, int socket, byte[] message, int[] fds) {
    jnr.ffi.Runtime runtime = jnr.ffi.Runtime.getRuntime(libc);
    Pointer data = Memory.allocateDirect(runtime, Math.max(1, message.length));
    data.put(0, message, 0, message.length);
    int controlLength = space(fds.length);
    Pointer control = Memory.allocateDirect(runtime, controlLength, true);
    control.putLong(0, CMSG_HEADER + 4L * fds.length);
    control.putInt(8, LibC.SOL_SOCKET);
    control.putInt(12, LibC.SCM_RIGHTS);
    for (int i = 0; i < fds.length; i++) {
      control.putInt(CMSG_HEADER + 4L * i, fds[i]);
    }
    Pointer iov = Memory.allocateDirect(runtime, 16, true);
    Pointer msg = header(runtime, iov, data, message.length, control, controlLength);
    try {
      while (libc.sendmsg(socket, msg, LibC.MSG_NOSIGNAL) < 0) {
        if (LibC.errno() != LibC.EINTR) {
          throw new IllegalStateException("sendmsg to the fork server failed: errno " + LibC.errno());
        }
      }
    } finally {
      // The structs point at each other by address only: they must outlive the call.
      java.lang.ref.Reference.reachabilityFence(data);
      java.lang.ref.Reference.reachabilityFence(control);
      java.lang.ref.Reference.reachabilityFence(iov);
    }
  }

  /** Blocks for one message; an empty one means the peer closed its end. */
  static Received receive(LibC libc, int socket, int maxBytes, int maxFds) {
    jnr.ffi.Runtime runtime = jnr.ffi.Runtime.getRuntime(libc);
    Pointer data = Memory.allocateDirect(runtime, maxBytes);
    int controlLength = space(maxFds);
    Pointer control = Memory.allocateDirect(runtime, controlLength, true);
    Pointer iov = Memory.allocateDirect(runtime, 16, true);
    Pointer msg = header(runtime, iov, data, maxBytes, control, controlLength);
    long n;
    while ((n = libc.recvmsg(socket, msg, LibC.MSG_CMSG_CLOEXEC)) < 0) {
      if (LibC.errno() != LibC.EINTR) {
        throw new IllegalStateException("recvmsg from the fork server failed: errno " + LibC.errno());
      }
    }
    java.lang.ref.Reference.reachabilityFence(iov);
    byte[] bytes = new byte[(int) n];
    data.get(0, bytes, 0, bytes.length);
    long received = msg.getLong(40); // msg_controllen as the kernel set it
    int[] fds = new int[0];
    if (received >= CMSG_HEADER && control.getInt(8) == LibC.SOL_SOCKET && control.getInt(12) == LibC.SCM_RIGHTS) {
      fds = new int[(int) ((control.getLong(0) - CMSG_HEADER) / 4)];
      for (int i = 0; i < fds.length; i++) {
        fds[i] = control.getInt(CMSG_HEADER + 4L * i);
      }
    }
    return new Received(bytes, fds);
  }

  /** CMSG_SPACE: the header and the descriptors, rounded up to 8 bytes. */
  private static int space(int fds) {
    return (CMSG_HEADER + 4 * fds + 7) & ~7;
  }

  private static Pointer header(jnr.ffi.Runtime runtime, Pointer iov, Pointer data, int length, Pointer control,
      int controlLength) {
    iov.putAddress(0, data.address());
    iov.putLong(8, length);
    Pointer msg = Memory.allocateDirect(runtime, LibC.MSGHDR_SIZE, true);
    msg.putAddress(16, iov.address());
    msg.putLong(24, 1);
    msg.putAddress(32, control.address());
    msg.putLong(40, controlLength);
    return msg;
  }
}
