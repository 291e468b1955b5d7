package dev.phantom.zygote.workspace;

import dev.phantom.zygote.bwrap.LibC;
import dev.phantom.zygote.core.WorkspaceFile;
import dev.phantom.zygote.core.WorkspacePaths;
import dev.phantom.zygote.core.ZygoteException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;

/**
 * Per-run workspace directories below {@code <stateDir>/ws}: a size-capped tmpfs per run when the service is
 * root (its pages are charged to the memory cgroup of the sandbox that writes them), a plain directory
 * otherwise. Files go in before the command starts, owned by the sandbox's host user; collected files come
 * out after every process of the sandbox is gone, never through a symbolic link.
 */
public final class Workspaces {

  private static final Logger LOG = Logger.getLogger(Workspaces.class.getName());
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
  private static final AtomicBoolean WARNED_NOT_ROOT = new AtomicBoolean();

  private final Path root;
  private final boolean mountTmpfs;
  private final int ownerUid;
  private final int ownerGid;
  private final AtomicLong seq = new AtomicLong();

  /**
   * @param root directory holding the run workspaces (created by {@link StateDir})
   * @param asRoot true when this process is root: tmpfs per run, files chowned to the sandbox user
   */
  public Workspaces(Path root, boolean asRoot, int sandboxUid, int sandboxGid) {
    this.root = root;
    this.mountTmpfs = asRoot;
    this.ownerUid = sandboxUid;
    this.ownerGid = sandboxGid;
  }

  public Path root() {
    return root;
  }

  /** One run's workspace. */
  public final class Workspace implements AutoCloseable {
    private volatile Path dir;
    private final Path mountRoot;
    private final boolean owned;
    private final boolean mounted;
    private final boolean overlay;
    /** An O_PATH descriptor on the tmpfs once it left the host's mount table ({@link #detach}), else -1. */
    private int detachedFd = -1;

    private Workspace(Path dir, Path mountRoot, boolean owned, boolean mounted, boolean overlay) {
      this.dir = dir;
      this.mountRoot = mountRoot;
      this.owned = owned;
      this.mounted = mounted;
      this.overlay = overlay;
    }

    /**
     * What the sandbox sees as its workspace (an overlay's merged view when it started from a base); once
     * {@link #detach detached}, a {@code /proc/self/fd} path that reaches the same tmpfs.
     */
    public Path dir() {
      return dir;
    }

    /** True while this workspace is a tmpfs mounted in the host's mount table, which {@link #detach} can end. */
    public synchronized boolean detachable() {
      return mounted && !overlay && owned && detachedFd == -1;
    }

    /** Whether a sandbox has bound this workspace, as seen from here. */
    public enum Bound { YES, NOT_YET, CANNOT_TELL }

    /**
     * Whether {@code seen} is this workspace's tmpfs itself (its root: same device and inode), as a
     * sandbox's bind of it is once its mounts are made. {@code CANNOT_TELL} when this process may not look
     * into the sandbox's root at all ({@code /proc/<pid>/root} needs CAP_SYS_PTRACE across users).
     */
    public Bound boundAt(Path seen) {
      try {
        var ours = Files.readAttributes(dir, "unix:dev,ino", NOFOLLOW);
        return ours.equals(Files.readAttributes(seen, "unix:dev,ino", NOFOLLOW)) ? Bound.YES : Bound.NOT_YET;
      } catch (AccessDeniedException e) {
        return Bound.CANNOT_TELL;
      } catch (IOException | RuntimeException e) {
        return Bound.NOT_YET; // not there yet, or the sandbox is gone
      }
    }

    /**
     * Takes the tmpfs out of the host's mount table while keeping it reachable here through a descriptor.
     * Why: every bubblewrap start copies the host's mount table and parses it once per read-only bind, so
     * each mounted workspace made every sandbox start slower (64 of them: +1.75 ms, 5.1 to 6.8 ms, for a
     * bwrap with five read-only binds), and a pool keeps one per idle slot. Call only once the sandbox has
     * bound it (see {@link #boundAt}): its bind keeps the tmpfs alive in the sandbox, the descriptor keeps
     * it here for files placed and collected later, and it is freed when both are gone.
     *
     * @return false when it stays mounted (logged)
     */
    public synchronized boolean detach() {
      if (!detachable()) {
        return false;
      }
      LibC libc = LibC.get();
      int fd = libc.open(dir.toString(), LibC.O_PATH | LibC.O_DIRECTORY | LibC.O_NOFOLLOW | LibC.O_CLOEXEC, 0);
      if (fd < 0) {
        LOG.warning("opening workspace " + dir + " failed: errno " + LibC.errno());
        return false;
      }
      if (libc.umount2(dir.toString(), LibC.MNT_DETACH | LibC.UMOUNT_NOFOLLOW) != 0) {
        LOG.warning("detaching workspace " + dir + " failed: errno " + LibC.errno());
        libc.close(fd);
        return false;
      }
      detachedFd = fd;
      dir = Path.of("/proc/self/fd/" + fd);
      return true;
    }

    /** Unmounts and deletes a fresh workspace (its overlay first); a host workspace is left as it is. */
    @Override
    public void close() {
      if (overlay) {
        unmount(dir);
      }
      int fd;
      synchronized (this) {
        fd = detachedFd;
        detachedFd = -2; // closed: never detached again
      }
      if (fd >= 0) {
        // Out of the mount table already: dropping the descriptor frees the tmpfs once the sandbox is gone.
        LibC.get().close(fd);
      }
      if (owned) {
        destroy(mountRoot, mounted && fd < 0);
      }
    }
  }

  /**
   * Creates a fresh workspace and places {@code files} in it.
   *
   * @param target mount target inside the sandbox (for path validation)
   * @param sizeBytes tmpfs cap; 0 = tmpfs default (half of RAM; the memory cgroup still bounds it)
   * @throws ZygoteException {@code INVALID_REQUEST} for a bad path or files that do not fit; {@code SPAWN}
   *     when the directory or mount cannot be made
   */
  public Workspace create(String runId, String target, long sizeBytes, List<WorkspaceFile> files) {
    return create(runId, target, sizeBytes, files, "");
  }

  /**
   * Like {@link #create(String, String, long, List)}, starting from {@code base} when it is not empty: the
   * workspace is then an overlay whose lower layer is {@code base} (read-only, shared with every other
   * workspace made from it, never written) and whose upper and work directories are on this workspace's
   * own tmpfs, so writes cost this workspace's cap and are seen by nobody else.
   */
  public Workspace create(String runId, String target, long sizeBytes, List<WorkspaceFile> files, String base) {
    String name = "run-" + seq.incrementAndGet() + "-" + runId.replaceAll("[^A-Za-z0-9_.-]", "_");
    Path dir = root.resolve(name.length() > 100 ? name.substring(0, 100) : name);
    boolean mounted = false;
    try {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      if (mountTmpfs) {
        String options = (sizeBytes > 0 ? "size=" + sizeBytes + "," : "") + "mode=0700,uid=" + ownerUid + ",gid=" + ownerGid;
        if (LibC.get().mount("tmpfs", dir.toString(), "tmpfs", LibC.MS_NOSUID | LibC.MS_NODEV, options) != 0) {
          throw new IOException("mount tmpfs on " + dir + " failed: errno " + LibC.errno());
        }
        mounted = true;
      } else if (WARNED_NOT_ROOT.compareAndSet(false, true)) {
        LOG.warning("the zygote is not root: workspaces are plain directories under " + root
            + " without a size cap");
      }
      Workspace ws = base.isEmpty() ? new Workspace(dir, dir, true, mounted, false)
          : new Workspace(mountOverlay(dir, Path.of(base), runId), dir, true, mounted, true);
      try {
        place(ws.dir, target, files, true);
      } catch (RuntimeException e) {
        ws.close();
        throw e;
      }
      return ws;
    } catch (IOException e) {
      destroy(dir, mounted);
      throw new ZygoteException(ZygoteException.Reason.SPAWN, "creating the workspace of run " + runId + " failed: " + e);
    }
  }

  /** Mounts {@code base} + {@code dir}/upper at {@code dir}/merged; returns the merged directory. */
  private Path mountOverlay(Path dir, Path base, String runId) throws IOException {
    if (!mountTmpfs) {
      throw new IOException("run " + runId + " starts from a snapshot, which needs an overlay mount: the zygote"
          + " must run as root");
    }
    String lower = base.toString();
    if (!base.isAbsolute() || lower.matches(".*[,:\\\\].*") || !Files.isDirectory(base, NOFOLLOW)) {
      throw new IOException("the workspace base " + lower + " is not an absolute directory path without ',', ':' or '\\'");
    }
    Path upper = dir.resolve("upper");
    Path work = dir.resolve("work");
    Path merged = dir.resolve("merged");
    for (Path p : List.of(upper, work, merged)) {
      Files.createDirectory(p);
    }
    // The merged root takes the upper root's owner and mode: the sandbox user's, like a fresh workspace.
    Files.setAttribute(upper, "unix:mode", 0755, NOFOLLOW);
    Files.setAttribute(upper, "unix:uid", ownerUid, NOFOLLOW);
    Files.setAttribute(upper, "unix:gid", ownerGid, NOFOLLOW);
    String options = "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work;
    if (LibC.get().mount("overlay", merged.toString(), "overlay", LibC.MS_NOSUID | LibC.MS_NODEV, options) != 0) {
      throw new IOException("mount overlay on " + merged + " failed: errno " + LibC.errno());
    }
    return merged;
  }

  /** Uses a host directory as the workspace (no cap, never deleted); {@code files} are placed in it. */
  public Workspace host(String hostDir, String target, List<WorkspaceFile> files) {
    Path dir = Path.of(hostDir);
    if (!dir.isAbsolute() || !Files.isDirectory(dir)) {
      throw new ZygoteException(ZygoteException.Reason.INVALID_REQUEST,
          "host_workspace '" + hostDir + "' is not an absolute path of an existing directory");
    }
    Workspace ws = new Workspace(dir, dir, false, false, false);
    place(dir, target, files, false);
    return ws;
  }

  /** Places {@code files} in a workspace made by {@link #create} (a warm slot's, before its job starts). */
  public void place(Workspace ws, String target, List<WorkspaceFile> files) {
    place(ws.dir(), target, files, true);
  }

  private void place(Path dir, String target, List<WorkspaceFile> files, boolean chown) {
    for (WorkspaceFile file : files) {
      List<String> parts = WorkspacePaths.components(target, file.path());
      Path current = dir;
      try {
        for (int i = 0; i < parts.size() - 1; i++) {
          current = current.resolve(parts.get(i));
          if (Files.isDirectory(current, NOFOLLOW)) {
            continue;
          }
          if (Files.exists(current, NOFOLLOW)) {
            throw invalid(file.path(), parts.get(i) + " exists and is not a directory");
          }
          Files.createDirectory(current);
          finish(current, 0755, chown);
        }
        Path path = current.resolve(parts.getLast());
        try (SeekableByteChannel out = Files.newByteChannel(path, Set.of(StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS))) {
          ByteBuffer content = ByteBuffer.wrap(file.content());
          while (content.hasRemaining()) {
            out.write(content);
          }
        }
        finish(path, file.mode() == 0 ? 0644 : file.mode() & 0777, chown);
      } catch (FileAlreadyExistsException e) {
        throw invalid(file.path(), "is named twice or is a directory of another file");
      } catch (IOException e) {
        // ENOSPC: the files alone do not fit in the workspace.
        throw invalid(file.path(), "cannot be written: " + e.getMessage());
      }
    }
  }

  private void finish(Path path, int mode, boolean chown) throws IOException {
    Files.setAttribute(path, "unix:mode", mode, NOFOLLOW);
    if (chown && mountTmpfs) {
      Files.setAttribute(path, "unix:uid", ownerUid, NOFOLLOW);
      Files.setAttribute(path, "unix:gid", ownerGid, NOFOLLOW);
    }
  }

  private static ZygoteException invalid(String path, String why) {
    return new ZygoteException(ZygoteException.Reason.INVALID_REQUEST, "workspace file '" + path + "' " + why);
  }

  /**
   * Reads the requested paths. Call only once no process of the sandbox is left: nothing can then swap a
   * path component for a symbolic link between the check and the read.
   *
   * @param maxEach largest file returned
   * @param maxTotal largest sum of returned files; later ones get an error entry
   */
  public List<WorkspaceFile> collect(Workspace ws, String target, List<String> paths, long maxEach, long maxTotal) {
    List<WorkspaceFile> out = new ArrayList<>();
    long total = 0;
    for (String requested : paths) {
      List<String> parts;
      try {
        parts = WorkspacePaths.components(target, requested);
      } catch (ZygoteException e) {
        out.add(WorkspaceFile.failed(requested, e.getMessage()));
        continue;
      }
      Path current = ws.dir;
      String error = null;
      PosixFileAttributes attrs = null;
      for (int i = 0; i < parts.size() && error == null; i++) {
        current = current.resolve(parts.get(i));
        try {
          attrs = Files.readAttributes(current, PosixFileAttributes.class, NOFOLLOW);
        } catch (NoSuchFileException e) {
          error = "missing";
          break;
        } catch (IOException e) {
          error = "cannot be read: " + e.getMessage();
          break;
        }
        if (attrs.isSymbolicLink()) {
          error = (i == parts.size() - 1 ? "" : String.join("/", parts.subList(0, i + 1)) + " ")
              + "is a symbolic link (never followed)";
        } else if (i < parts.size() - 1 && !attrs.isDirectory()) {
          error = String.join("/", parts.subList(0, i + 1)) + " is not a directory";
        } else if (i == parts.size() - 1 && !attrs.isRegularFile()) {
          error = "is not a regular file";
        }
      }
      if (error == null && attrs.size() > maxEach) {
        error = "is too large (" + attrs.size() + " bytes, at most " + maxEach + " per file)";
      }
      if (error == null && total + attrs.size() > maxTotal) {
        error = "does not fit (collected files are capped at " + maxTotal + " bytes in total)";
      }
      if (error != null) {
        out.add(WorkspaceFile.failed(requested, error));
        continue;
      }
      try {
        byte[] content = read(current, (int) attrs.size(), maxEach);
        total += content.length;
        int mode = 0;
        for (var p : attrs.permissions()) {
          mode |= 1 << (8 - p.ordinal());
        }
        out.add(WorkspaceFile.of(requested, content, mode));
      } catch (IOException e) {
        out.add(WorkspaceFile.failed(requested, "cannot be read: " + e.getMessage()));
      }
    }
    return out;
  }

  private static byte[] read(Path path, int size, long maxEach) throws IOException {
    try (SeekableByteChannel in = Files.newByteChannel(path, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
      ByteBuffer buffer = ByteBuffer.allocate(size);
      while (buffer.hasRemaining() && in.read(buffer) > 0) {
        // fill
      }
      if (in.read(ByteBuffer.allocate(1)) > 0 && size >= maxEach) {
        throw new IOException("grew past " + maxEach + " bytes while being read");
      }
      return buffer.flip().remaining() == size ? buffer.array() : java.util.Arrays.copyOf(buffer.array(), buffer.limit());
    }
  }

  /** Unmounts (lazily: the sandbox's own mount namespace is gone or going) and deletes without following links. */
  private static void destroy(Path dir, boolean mounted) {
    if (mounted) {
      unmount(dir);
    }
    deleteTree(dir);
  }

  private static void unmount(Path dir) {
    if (LibC.get().umount2(dir.toString(), LibC.MNT_DETACH | LibC.UMOUNT_NOFOLLOW) != 0) {
      LOG.warning("umount " + dir + " failed: errno " + LibC.errno());
    }
  }

  /** Deletes a tree without following symbolic links; what cannot be deleted is logged. */
  public static void deleteTree(Path dir) {
    if (!Files.exists(dir, NOFOLLOW)) {
      return;
    }
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
          // A sandbox may leave a directory without write or search permission for its owner.
          try {
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwx------"));
          } catch (IOException | UnsupportedOperationException e) {
            // best effort
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
          Files.deleteIfExists(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          Files.deleteIfExists(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (AccessDeniedException e) {
      LOG.warning("cannot delete workspace " + dir + ": " + e);
    } catch (IOException e) {
      LOG.warning("deleting workspace " + dir + " failed: " + e);
    }
  }

  /** Mount points at or below {@code dir} in this process's mount table, deepest first. */
  public static List<Path> mountsUnder(Path dir) {
    List<Path> out = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
        String[] f = line.split(" ");
        if (f.length > 4) {
          Path mountPoint = Path.of(dev.phantom.zygote.cgroup.CgroupDiscovery.unescapeField(f[4]));
          if (mountPoint.startsWith(dir)) {
            out.add(mountPoint);
          }
        }
      }
    } catch (IOException e) {
      // none known
    }
    out.sort(Comparator.comparingInt(Path::getNameCount).reversed());
    return out;
  }

  /** Unmounts and deletes everything below the root: workspaces of runs no live zygote owns. */
  public int removeLeftovers() {
    for (Path mountPoint : mountsUnder(root)) {
      if (!mountPoint.equals(root) && LibC.get().umount2(mountPoint.toString(), LibC.MNT_DETACH | LibC.UMOUNT_NOFOLLOW) != 0) {
        LOG.warning("umount of leftover " + mountPoint + " failed: errno " + LibC.errno());
      }
    }
    int removed = 0;
    try (var entries = Files.list(root)) {
      for (Path entry : entries.toList()) {
        deleteTree(entry);
        removed++;
      }
    } catch (IOException e) {
      LOG.warning("listing " + root + " failed: " + e);
    }
    return removed;
  }
}
