package dev.phantom.zygote.session;

import dev.phantom.zygote.bwrap.LibC;
import dev.phantom.zygote.core.OutputSink;
import dev.phantom.zygote.workspace.Workspaces;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * The host side of one exec: a fresh directory in the session's control directory holding the script
 * the agent runs ({@code run}) and three FIFOs ({@code in}, {@code out}, {@code err}), one reader thread
 * per output FIFO and one writer thread for standard input.
 *
 * <p>The control directory is bound read-only into the sandbox and owned by the service, so the sandbox
 * cannot plant anything in it; still, every FIFO is created fresh and opened with O_NOFOLLOW. The FIFOs
 * belong to the sandbox's host user (mode 0600): only it can open them.
 *
 * <p>Ordering: the script opens {@code in} (at once: this side holds it read-write), then {@code out}
 * and {@code err} (each blocks until its reader here opens it). Standard input is closed only once
 * {@code out} is open, so a close never comes before the command opened its input. A reader still
 * blocked in open when the exec ends (the script never got that far) is released by a non-blocking
 * open for writing. Readers drain until every writer is gone: processes the exec left in the background
 * keep writing without SIGPIPE; what they write after the exec ended is dropped.
 */
final class ExecPipes {

  private static final Logger LOG = Logger.getLogger(ExecPipes.class.getName());
  private static final int CHUNK = 64 * 1024;
  private static final byte[] CLOSE = new byte[0];

  private final LibC libc = LibC.get();
  private final Path dir;
  private final int inFd;
  private final LinkedBlockingQueue<byte[]> stdin = new LinkedBlockingQueue<>();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final CompletableFuture<Void> outOpened = new CompletableFuture<>();
  private final CompletableFuture<Void> outDone = new CompletableFuture<>();
  private final CompletableFuture<Void> errDone = new CompletableFuture<>();
  private volatile boolean ended;
  private volatile boolean outOpening = true;
  private volatile boolean errOpening = true;

  private ExecPipes(Path dir, int inFd) {
    this.dir = dir;
    this.inFd = inFd;
  }

  /**
   * Creates the exec's directory, script and FIFOs. Blocking.
   *
   * @param chownTo host uid and gid owning the FIFOs, or null to keep this process's
   */
  static ExecPipes create(Path dir, String script, int[] chownTo) throws IOException {
    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    try {
      try (SeekableByteChannel out = Files.newByteChannel(dir.resolve("run"), Set.of(StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")))) {
        ByteBuffer content = ByteBuffer.wrap(script.getBytes(StandardCharsets.UTF_8));
        while (content.hasRemaining()) {
          out.write(content);
        }
      }
      LibC libc = LibC.get();
      for (String name : new String[] {"in", "out", "err"}) {
        Path fifo = dir.resolve(name);
        if (libc.mkfifo(fifo.toString(), 0600) != 0) {
          throw new IOException("mkfifo " + fifo + " failed: errno " + LibC.errno());
        }
        if (chownTo != null) {
          Files.setAttribute(fifo, "unix:uid", chownTo[0], LinkOption.NOFOLLOW_LINKS);
          Files.setAttribute(fifo, "unix:gid", chownTo[1], LinkOption.NOFOLLOW_LINKS);
        }
      }
      // Read-write: opening never blocks, and the pipe exists before the command opens it.
      int in = libc.open(dir.resolve("in").toString(), LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC | LibC.O_NOFOLLOW, 0);
      if (in < 0) {
        throw new IOException("opening " + dir.resolve("in") + " failed: errno " + LibC.errno());
      }
      return new ExecPipes(dir, in);
    } catch (IOException | RuntimeException e) {
      Workspaces.deleteTree(dir);
      throw e;
    }
  }

  /** Starts the readers (output goes to {@code sink} until the exec ends) and the stdin writer. */
  void start(ExecutorService io, OutputSink sink) {
    io.execute(() -> read("out", OutputSink.Stream.STDOUT, sink, outDone));
    io.execute(() -> read("err", OutputSink.Stream.STDERR, sink, errDone));
    io.execute(this::writeStdin);
  }

  /** Completes when both output FIFOs reached end of file (every writer closed them). */
  CompletableFuture<Void> outputClosed() {
    return CompletableFuture.allOf(outDone, errDone);
  }

  /** Queues bytes for the command's standard input; returns the bytes queued and not yet written. */
  long writeStdin(byte[] data) {
    if (data.length == 0 || ended) {
      return queuedBytes.get();
    }
    long queued = queuedBytes.addAndGet(data.length);
    stdin.add(data);
    return queued;
  }

  /** Closes the command's standard input once what was queued is written. */
  void closeStdin() {
    stdin.add(CLOSE);
  }

  /**
   * The exec ended: stops forwarding output and writing input, releases readers still waiting for their
   * writer, and deletes the directory. Blocking (briefly): call on an I/O thread.
   */
  void detach() {
    ended = true;
    stdin.add(CLOSE);
    release("out", () -> outOpening);
    release("err", () -> errOpening);
    Workspaces.deleteTree(dir);
  }

  private void release(String name, java.util.function.BooleanSupplier opening) {
    String path = dir.resolve(name).toString();
    for (int attempt = 0; attempt < 200 && opening.getAsBoolean(); attempt++) {
      int fd = libc.open(path, LibC.O_WRONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC | LibC.O_NOFOLLOW, 0);
      if (fd >= 0) {
        libc.close(fd);
        return;
      }
      // ENXIO: the reader thread has not reached its open yet.
      sleep(5);
    }
  }

  private void read(String name, OutputSink.Stream stream, OutputSink sink, CompletableFuture<Void> done) {
    String path = dir.resolve(name).toString();
    int fd;
    do {
      fd = libc.open(path, LibC.O_RDONLY | LibC.O_CLOEXEC | LibC.O_NOFOLLOW, 0);
    } while (fd < 0 && LibC.errno() == LibC.EINTR);
    if (stream == OutputSink.Stream.STDOUT) {
      outOpening = false;
      outOpened.complete(null);
    } else {
      errOpening = false;
    }
    if (fd < 0) {
      LOG.warning("opening " + path + " failed: errno " + LibC.errno());
      done.complete(null);
      return;
    }
    byte[] chunk = new byte[CHUNK];
    try {
      while (true) {
        long n = LibC.readRetrying(libc, fd, chunk);
        if (n <= 0) {
          break;
        }
        if (!ended) {
          sink.chunk(stream, Arrays.copyOf(chunk, (int) n));
        }
      }
    } finally {
      libc.close(fd);
      done.complete(null);
    }
  }

  private void writeStdin() {
    try {
      while (true) {
        byte[] data = stdin.poll(1, TimeUnit.SECONDS);
        if (data == null) {
          continue;
        }
        if (data == CLOSE) {
          // Closing before the command opened its input would leave it waiting for a writer forever.
          while (!ended && !outOpened.isDone()) {
            sleep(2);
          }
          return;
        }
        int off = 0;
        while (off < data.length && !ended) {
          byte[] rest = off == 0 ? data : Arrays.copyOfRange(data, off, data.length);
          long n = libc.write(inFd, rest, rest.length);
          if (n < 0) {
            int errno = LibC.errno();
            if (errno == LibC.EAGAIN) {
              sleep(2); // the command is not reading yet; its pipe is full
              continue;
            }
            if (errno != LibC.EINTR) {
              ended = true;
            }
            continue;
          }
          off += (int) n;
        }
        queuedBytes.addAndGet(-data.length);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      libc.close(inFd);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
