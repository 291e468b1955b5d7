package dev.phantom.gateway.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * One line on stderr that says how a long operation goes (bytes sent, files unpacked, seconds waited),
 * redrawn in place and erased at the end. It is shown only when stderr is a terminal, so it never
 * lands in a pipe, a log or a script's captured output, and never on stdout; PHANTOM_PROGRESS=1 or 0
 * forces it on or off. Nothing is drawn for the first {@value #DELAY_MS} ms: quick operations stay quiet.
 */
final class Progress implements AutoCloseable {

  static final long DELAY_MS = 300;
  static final long REDRAW_MS = 100;

  private static final Progress OFF = new Progress(null, System::nanoTime);

  private final PrintStream out;
  private final LongSupplier nanos;
  private final long started;
  private long drawnAt = Long.MIN_VALUE;
  private boolean shown;
  private boolean closed;
  private ScheduledExecutorService ticker;

  /** @param out where to draw, or null to draw nothing */
  Progress(PrintStream out, LongSupplier nanos) {
    this.out = out;
    this.nanos = nanos;
    this.started = nanos.getAsLong();
  }

  /** On System.err when it is a terminal (or PHANTOM_PROGRESS says so), else silent. */
  static Progress onStderr() {
    return enabled(System.getenv(), stderrPath()) ? new Progress(System.err, System::nanoTime) : OFF;
  }

  static boolean enabled(Map<String, String> env, String stderrTarget) {
    String forced = env.getOrDefault("PHANTOM_PROGRESS", "").trim().toLowerCase(Locale.ROOT);
    if (forced.equals("1") || forced.equals("true") || forced.equals("always")) {
      return true;
    }
    if (!forced.isEmpty() || "dumb".equals(env.get("TERM"))) {
      return false;
    }
    return stderrTarget != null && (stderrTarget.startsWith("/dev/pts/") || stderrTarget.startsWith("/dev/tty"));
  }

  /** System.console() speaks for stdin and stdout; progress cares whether stderr is a terminal. */
  private static String stderrPath() {
    try {
      return Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
    } catch (Exception e) {
      return null;
    }
  }

  /** Redraws the line with {@code text}, at most every {@value #REDRAW_MS} ms. */
  synchronized void update(String text) {
    if (out == null || closed) {
      return;
    }
    long now = nanos.getAsLong();
    if (now - started < TimeUnit.MILLISECONDS.toNanos(DELAY_MS)
        || (shown && now - drawnAt < TimeUnit.MILLISECONDS.toNanos(REDRAW_MS))) {
      return;
    }
    drawnAt = now;
    shown = true;
    out.print("\r" + text + "\033[K");
    out.flush();
  }

  /** Redraws {@code text} with the seconds waited so far, a few times a second, until closed. */
  synchronized Progress ticking(Supplier<String> text) {
    if (out != null && ticker == null) {
      ticker = Executors.newSingleThreadScheduledExecutor(task -> Thread.ofPlatform().daemon().name("phantom-progress").unstarted(task));
      ticker.scheduleAtFixedRate(() -> update(text.get() + " " + seconds() + "s"), DELAY_MS, REDRAW_MS, TimeUnit.MILLISECONDS);
    }
    return this;
  }

  private long seconds() {
    return TimeUnit.NANOSECONDS.toSeconds(nanos.getAsLong() - started);
  }

  /** Erases the line and draws no more. */
  @Override
  public synchronized void close() {
    closed = true;
    if (ticker != null) {
      ticker.shutdownNow();
    }
    clear();
  }

  /** Erases the line (a later update draws it again), so that a message on stderr starts clean. */
  synchronized void clear() {
    if (shown) {
      out.print("\r\033[K");
      out.flush();
      shown = false;
    }
  }

  /** Prints {@code phantom: message} on stderr as its own line, the progress line erased first. */
  void fail(String message) {
    clear();
    System.err.println("phantom: " + message);
  }

  /** {@code 512 B}, {@code 3.2 MiB}. */
  static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String units = "KMGTPE";
    int unit = Math.min((63 - Long.numberOfLeadingZeros(n)) / 10, units.length());
    return String.format(Locale.ROOT, "%.1f %siB", n / (double) (1L << (10 * unit)), units.charAt(unit - 1));
  }

  /** {@code 3.2 MiB / 40.0 MiB (8%)}, or just the first when the total is unknown. */
  static String fraction(long done, long total) {
    return total <= 0 ? bytes(done)
        : bytes(done) + " / " + bytes(total) + " (" + Math.min(100, done * 100 / total) + "%)";
  }
}
