package dev.phantom.support.psi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * A PSI trigger (Documentation/accounting/psi.rst): the kernel wakes a poller with POLLPRI as soon as
 * the stall within a window passes a threshold, instead of a zygote node reading averages that
 * lag by seconds. The JDK cannot wait for POLLPRI on a procfs file (java.nio selects only sockets
 * and pipes, and the foreign-function API is final only from Java 22, after this build's release 21),
 * so open, write and poll go through jnr-ffi. One trigger per instance; {@link #await} blocks, so
 * it runs on a worker thread, never on an event loop.
 */
public final class PsiTrigger implements AutoCloseable {

  /** Which line of the pressure file the threshold applies to. */
  public enum Kind { SOME, FULL }

  /** The kernel refuses windows outside [500 ms, 10 s]. */
  public static final Duration MIN_WINDOW = Duration.ofMillis(500);
  public static final Duration MAX_WINDOW = Duration.ofSeconds(10);

  /** Public only because jnr-ffi generates its implementation in another class loader. */
  public interface LibC {
    int O_RDWR = 2;
    int O_NONBLOCK = 0x800;
    int O_CLOEXEC = 0x80000;
    short POLLPRI = 0x002;
    short POLLERR = 0x008;
    short POLLNVAL = 0x020;

    int open(String path, int flags, int mode);

    long write(int fd, @In byte[] buf, long count);

    int poll(@In @Out byte[] fds, long nfds, int timeoutMs);

    int close(int fd);
  }

  private static final class Holder {
    static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
  }

  private final Path file;
  private final int fd;

  private PsiTrigger(Path file, int fd) {
    this.file = file;
    this.fd = fd;
  }

  /**
   * Registers "{@code kind stall window}" on a pressure file, e.g. {@code some 150000 1000000}: wake when
   * tasks stalled 150 ms within any 1 s window.
   *
   * @throws IllegalArgumentException when the window or stall is outside what the kernel accepts
   * @throws IOException naming the file and errno when the kernel refuses (no PSI; a caller without
   *     CAP_SYS_RESOURCE, even root in a container, whose window is not a multiple of 2 s: EINVAL)
   */
  public static PsiTrigger register(Path file, Kind kind, Duration stall, Duration window) throws IOException {
    if (window.compareTo(MIN_WINDOW) < 0 || window.compareTo(MAX_WINDOW) > 0) {
      throw new IllegalArgumentException("a PSI window must be within [500 ms, 10 s]: " + window.toMillis() + " ms");
    }
    if (stall.isNegative() || stall.isZero() || stall.compareTo(window) > 0) {
      throw new IllegalArgumentException("a PSI stall threshold must be > 0 and at most the window ("
          + window.toMillis() + " ms): " + stall.toMillis() + " ms");
    }
    LibC libc = Holder.LIBC;
    int fd = libc.open(file.toString(), LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
    if (fd < 0) {
      throw new IOException("opening " + file + " for a PSI trigger failed: errno " + errno());
    }
    String spec = kind.name().toLowerCase(java.util.Locale.ROOT) + " " + stall.toNanos() / 1000 + " "
        + window.toNanos() / 1000;
    byte[] bytes = (spec + "\0").getBytes(StandardCharsets.US_ASCII);
    if (libc.write(fd, bytes, bytes.length) < 0) {
      int errno = errno();
      libc.close(fd);
      throw new IOException("registering PSI trigger '" + spec + "' on " + file + " failed: errno " + errno
          + (errno == 22 && window.toMillis() % 2000 != 0
              ? " (without CAP_SYS_RESOURCE the kernel takes only windows that are a multiple of 2 s)" : ""));
    }
    return new PsiTrigger(file, fd);
  }

  /**
   * Waits until the trigger fires or the timeout passes.
   *
   * @return true when it fired
   * @throws IOException when the file reports an error (the cgroup it watches was removed) or poll fails
   */
  public boolean await(Duration timeout) throws IOException {
    ByteBuffer pollfd = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
    pollfd.putInt(0, fd).putShort(4, LibC.POLLPRI).putShort(6, (short) 0);
    byte[] raw = pollfd.array();
    int ready = Holder.LIBC.poll(raw, 1, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    if (ready < 0) {
      int errno = errno();
      if (errno == 4) {
        return false; // EINTR: the caller loops
      }
      throw new IOException("polling PSI trigger on " + file + " failed: errno " + errno);
    }
    short revents = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder()).getShort(6);
    if ((revents & (LibC.POLLERR | LibC.POLLNVAL)) != 0) {
      throw new IOException("PSI trigger on " + file + " reported an error (revents " + revents + ")");
    }
    return (revents & LibC.POLLPRI) != 0;
  }

  @Override
  public void close() {
    Holder.LIBC.close(fd);
  }

  private static int errno() {
    return Runtime.getRuntime(Holder.LIBC).getLastError();
  }
}
