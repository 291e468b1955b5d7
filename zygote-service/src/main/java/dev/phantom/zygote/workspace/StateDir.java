package dev.phantom.zygote.workspace;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The zygote's per-host state directory: run workspaces live in {@code <dir>/ws}, and the name of the
 * parent cgroup derives from its path, so that a restarted service finds what a killed one left behind.
 * One zygote owns a state directory at a time (an exclusive lock on {@code <dir>/zygote.lock}): a second
 * one would otherwise treat the first one's live sandboxes as leftovers.
 */
public final class StateDir implements AutoCloseable {

  private final Path dir;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private StateDir(Path dir, FileChannel lockChannel, FileLock lock) {
    this.dir = dir;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /** {@code /run/phantom} when /run is writable (root), else {@code /tmp/phantom-<uid>}. */
  public static Path defaultPath(int uid) {
    Path run = Path.of("/run");
    return Files.isDirectory(run) && Files.isWritable(run) ? run.resolve("phantom") : Path.of("/tmp", "phantom-" + uid);
  }

  /**
   * Bubblewrap runs as the unprivileged sandbox user and must reach each workspace under this directory:
   * every directory above it needs search permission for others. Root would not notice (it bypasses the
   * check), so this says so at start, not only in every sandbox's failure to mount its workspace.
   */
  static java.util.Optional<String> unreachableBySandboxUser(Path dir) throws IOException {
    for (Path p = dir.getParent(); p != null; p = p.getParent()) {
      java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = Files.getPosixFilePermissions(p);
      if (!perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
        return java.util.Optional.of("state directory " + dir + " is out of the sandbox user's reach: " + p
            + " is mode " + PosixFilePermissions.toString(perms) + " and needs search permission for others (chmod o+x "
            + p + "), or choose another directory with --state-dir / PHANTOM_STATE_DIR");
      }
    }
    return java.util.Optional.empty();
  }

  /**
   * Creates the directory (mode 0711: the sandbox user must traverse it to reach its workspace) and
   * takes the lock.
   *
   * @throws IOException when it cannot be created, or another process holds the lock
   */
  public static StateDir open(Path path) throws IOException {
    Path dir = path.toAbsolutePath().normalize();
    Files.createDirectories(dir.resolve("ws"));
    Files.createDirectories(dir.resolve("sessions"));
    Files.setPosixFilePermissions(dir.resolve("sessions"), PosixFilePermissions.fromString("rwx--x--x"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    Files.setPosixFilePermissions(dir.resolve("ws"), PosixFilePermissions.fromString("rwx--x--x"));
    if (dev.phantom.zygote.bwrap.LibC.get().geteuid() == 0) {
      // As root, bubblewrap runs as another user (not root, not the owner). Profiles without a workspace
      // still work, so this warns rather than refusing to start.
      unreachableBySandboxUser(dir).ifPresent(problem -> java.util.logging.Logger.getLogger(StateDir.class.getName())
          .warning(problem + "; sandboxes with a workspace, a session or an image will fail to start"));
    }
    FileChannel channel = FileChannel.open(dir.resolve("zygote.lock"), StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e instanceof IOException io ? io : new IOException(e);
    }
    if (lock == null) {
      String holder = Files.readString(dir.resolve("zygote.lock")).strip();
      channel.close();
      throw new IOException("state directory " + dir + " is in use by another zygote (pid " + holder
          + "): give each zygote on a host its own stateDir");
    }
    channel.truncate(0);
    channel.write(ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.US_ASCII)), 0);
    return new StateDir(dir, channel, lock);
  }

  public Path path() {
    return dir;
  }

  /** Where run workspaces are created. */
  public Path workspaces() {
    return dir.resolve("ws");
  }

  /** The node's image cache (chunks, files, materialized trees; {@code dev.phantom.zygote.image}). */
  public Path images() {
    return dir.resolve("images");
  }

  /** Where each session's control directory lives (bound read-only into its sandbox at /.phantom). */
  public Path sessions() {
    return dir.resolve("sessions");
  }

  /**
   * Deletes every session control directory (call at start, once the lock is held: none is in use).
   *
   * @return how many there were
   */
  public int removeSessionLeftovers() throws IOException {
    int removed = 0;
    try (var entries = Files.list(sessions())) {
      for (Path entry : entries.toList()) {
        Workspaces.deleteTree(entry);
        removed++;
      }
    }
    return removed;
  }

  /** Stable per state directory, so that two zygotes on one host (with two state dirs) never meet. */
  public String cgroupParentName() {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(dir.toString().getBytes(StandardCharsets.UTF_8));
      return "phantom-" + HexFormat.of().formatHex(hash, 0, 5);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** For tests: who holds the lock. */
  public Optional<String> holder() {
    try {
      return Optional.of(Files.readString(dir.resolve("zygote.lock")).strip());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      // the lock dies with the channel
    }
  }
}
