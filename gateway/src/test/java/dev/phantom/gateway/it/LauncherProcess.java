package dev.phantom.gateway.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A process started through the ./phantom launcher at the repository root, its output collected. */
public final class LauncherProcess implements AutoCloseable {

  public static final Path LAUNCHER = Path.of("..", "phantom").toAbsolutePath().normalize();

  public final Process process;
  public final List<String> stdout = new CopyOnWriteArrayList<>();
  public final List<String> stderr = new CopyOnWriteArrayList<>();

  private LauncherProcess(Process process) {
    this.process = process;
    pump(process.getInputStream(), stdout);
    pump(process.getErrorStream(), stderr);
  }

  /** State the launched CLI keeps (keys, audit log) goes here, never in the user's ~/.phantom. */
  public static final Path HOME = Path.of("target", "phantom-home").toAbsolutePath();

  public static LauncherProcess start(String... args) throws IOException {
    return start(HOME, args);
  }

  public static LauncherProcess start(Path phantomHome, String... args) throws IOException {
    return start(phantomHome, java.util.Map.of(), args);
  }

  /** As {@link #start(Path, String...)}, with extra environment (e.g. PHANTOM_GATEWAY) set last. */
  public static LauncherProcess start(Path phantomHome, java.util.Map<String, String> env, String... args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(LAUNCHER.toString());
    command.addAll(List.of(args));
    return start(command, phantomHome, env);
  }

  private static LauncherProcess start(List<String> command, Path phantomHome, java.util.Map<String, String> env)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    // The build that runs this test has just packaged the distribution: do not rebuild from inside it.
    builder.environment().put("PHANTOM_NO_BUILD", "1");
    builder.environment().remove("PHANTOM_GATEWAY");
    builder.environment().remove("PHANTOM_API_KEY");
    builder.environment().put("PHANTOM_HOME", phantomHome.toString());
    // Not the host's /run/phantom, which a developer's own 'phantom up' may hold.
    builder.environment().put("PHANTOM_STATE_DIR", phantomHome.resolve("state").toString());
    builder.environment().putAll(env);
    return new LauncherProcess(builder.start());
  }

  /**
   * As {@link #start(Path, java.util.Map, String...)}, with SIGINT set back to its default first: a test
   * JVM started from a background job inherits SIGINT ignored, and a program cannot catch what it
   * starts with ignored. The process is the launcher's own (env execs it), so its pid is phantom's.
   */
  public static LauncherProcess startInterruptible(Path phantomHome, java.util.Map<String, String> env, String... args)
      throws IOException {
    List<String> command = new ArrayList<>(List.of("env", "--default-signal=INT", LAUNCHER.toString()));
    command.addAll(List.of(args));
    return start(command, phantomHome, env);
  }

  /** Readers of stdout and stderr; they end at EOF, after the last line. */
  private final List<Thread> pumps = new CopyOnWriteArrayList<>();

  private void pump(java.io.InputStream stream, List<String> into) {
    pumps.add(Thread.ofPlatform().daemon().start(() -> {
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        reader.lines().forEach(into::add);
      } catch (IOException e) {
        // The process is gone; what was read is kept.
      }
    }));
  }

  /** Waits for a stdout line matching {@code pattern} and returns its first group. */
  public String awaitLine(Pattern pattern, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      Optional<String> group = stdout.stream().map(pattern::matcher).filter(Matcher::find)
          .map(m -> m.groupCount() > 0 ? m.group(1) : m.group()).findFirst();
      if (group.isPresent()) {
        return group.get();
      }
      if (!process.isAlive()) {
        throw new IllegalStateException("process exited with " + process.exitValue() + " before printing "
            + pattern + "\nstdout: " + stdout + "\nstderr: " + stderr);
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("no line matching " + pattern + " within " + timeout
        + "\nstdout: " + stdout + "\nstderr: " + stderr);
  }

  /** Sends a signal such as {@code INT} to the process, as a terminal's Ctrl-C would. */
  public void signal(String name) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
    }
  }

  public int waitFor(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("still running after " + timeout + "\nstdout: " + stdout + "\nstderr: " + stderr);
    }
    // Every line read: the pumps end at EOF (a fixed pause lost the tail of long outputs under load).
    for (Thread pump : pumps) {
      pump.join(10_000);
    }
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
