package dev.phantom.zygote.session;

import dev.phantom.zygote.bus.ZygoteFailures;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import dev.phantom.api.v1.CreateSandboxRequest;
import dev.phantom.api.v1.ExecStart;
import dev.phantom.api.v1.FileInfo;
import dev.phantom.api.v1.FileType;
import dev.phantom.api.v1.OutputChunk;
import dev.phantom.api.v1.OutputStream;
import dev.phantom.api.v1.RunResult;
import dev.phantom.api.v1.RunStatus;
import dev.phantom.api.v1.Sandbox;
import dev.phantom.api.v1.SandboxState;
import dev.phantom.api.v1.Timings;
import dev.phantom.proto.zygote.v1.ExecControl;
import dev.phantom.proto.zygote.v1.ExecDone;
import dev.phantom.proto.zygote.v1.ExecEvent;
import dev.phantom.proto.zygote.v1.ExecFailed;
import dev.phantom.proto.zygote.v1.ExecRequest;
import dev.phantom.support.PhantomException;
import dev.phantom.zygote.ZygoteConfig;
import dev.phantom.zygote.core.AgentEvent;
import dev.phantom.zygote.core.ExecScripts;
import dev.phantom.zygote.core.FileListing;
import dev.phantom.zygote.core.KillReason;
import dev.phantom.zygote.core.Mount;
import dev.phantom.zygote.core.OutputBudget;
import dev.phantom.zygote.core.OutputSink;
import dev.phantom.zygote.core.ResourceLimits;
import dev.phantom.zygote.core.ResourceUsage;
import dev.phantom.zygote.core.RunOutcome;
import dev.phantom.zygote.core.RunSpec;
import dev.phantom.zygote.core.SandboxLauncher;
import dev.phantom.zygote.core.SandboxProfile;
import dev.phantom.zygote.core.SessionIds;
import dev.phantom.zygote.core.SessionTimes;
import dev.phantom.zygote.core.TarWriter;
import dev.phantom.zygote.core.WorkspaceFile;
import dev.phantom.zygote.core.WorkspacePaths;
import dev.phantom.zygote.core.ZygoteException;
import dev.phantom.zygote.workspace.Workspaces;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;

/**
 * Sessions of this node: each one long-lived bubblewrap sandbox whose command is the agent
 * ({@code agent.sh}), which runs every exec and file operation inside the sandbox, under its filter and
 * cgroup. Nothing ever enters a session's namespaces from outside.
 *
 * <p>Threads: every method and every piece of state here belongs to the zygote verticle's event loop
 * ({@link #context}); agent reports and exec output arrive on I/O threads and hop onto it. Blocking work
 * (spawning, FIFOs, deleting directories) runs on worker or I/O threads.
 */
public final class SessionManager {

  private static final Logger LOG = Logger.getLogger(SessionManager.class.getName());
  /** Where the control directory appears inside the sandbox. */
  static final String IO_TARGET = "/.phantom";
  private static final String AGENT = "agent.sh";
  private static final long START_TIMEOUT_MS = 15_000;
  /** After an exec's process ended, how long output still held open (by background processes) is waited for. */
  private static final long OUTPUT_GRACE_MS = 100;
  /** After SIGKILL was asked of the agent, how long before the exec is given up on. */
  private static final long KILL_GRACE_MS = 5_000;
  private static final long SWEEP_MS = 100;
  private static final int STDERR_KEEP = 4096;

  private final Vertx vertx;
  private final Context context;
  private final String nodeId;
  private final ZygoteConfig config;
  private final SandboxLauncher launcher;
  private final Path sessionsDir;
  private dev.phantom.zygote.image.NodeImages images;
  private final int[] chownTo;
  private final Function<String, Future<SandboxProfile>> profiles;
  private final InstantSource clock;
  private final RandomGenerator random;
  private final MeterRegistry meters;
  private final Optional<String> notReady;
  private final byte[] agentScript;
  private final ExecutorService io = Executors.newThreadPerTaskExecutor(
      Thread.ofPlatform().name("zygote-session-io-", 0).daemon(true).stackSize(256 * 1024).factory());
  private final Map<String, Session> sessions = new LinkedHashMap<>();
  private final Map<String, Exec> execs = new HashMap<>();
  private dev.phantom.zygote.snapshot.Snapshots snapshots;
  private final AtomicInteger live = new AtomicInteger();
  private long sweepTimer = -1;

  /**
   * @param chownTo host uid and gid of the sandbox user when the service is root (FIFOs are given to it),
   *     else null
   * @param profiles compiled profiles by name (failures pass through as they are)
   */
  /**
   * The node's images, for sessions that start from a snapshot or an image; the profile's own image is
   * already applied by the profile lookup.
   */
  public void useImages(dev.phantom.zygote.image.NodeImages images) {
    this.images = images;
  }

  public SessionManager(Vertx vertx, String nodeId, ZygoteConfig config, SandboxLauncher launcher, Path sessionsDir,
      int[] chownTo, Function<String, Future<SandboxProfile>> profiles, Optional<String> notReady,
      MeterRegistry meters, InstantSource clock, RandomGenerator random) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.nodeId = nodeId;
    this.config = config;
    this.launcher = launcher;
    this.sessionsDir = sessionsDir;
    this.chownTo = chownTo;
    this.profiles = profiles;
    this.notReady = notReady;
    this.meters = meters;
    this.clock = clock;
    this.random = random;
    try (InputStream in = SessionManager.class.getResourceAsStream(AGENT)) {
      this.agentScript = in.readAllBytes();
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("the session agent " + AGENT + " is missing from the zygote's resources", e);
    }
    meters.gauge("phantom.zygote.sessions", live);
  }

  /** Enables workspace snapshots (taking them, and creating sandboxes from them). */
  public void enableSnapshots(dev.phantom.zygote.snapshot.Snapshots snapshots) {
    this.snapshots = snapshots;
  }

  /** Starts the timer that enforces idle timeouts and lifetimes and forgets stopped sessions. */
  public void start() {
    sweepTimer = vertx.setPeriodic(SWEEP_MS, id -> sweep());
  }

  /** Sessions starting or ready (they count as running sandboxes in the node's report). */
  public int live() {
    return live.get();
  }

  // ---------------------------------------------------------------------------------------------------
  // Lifecycle

  public Future<Sandbox> create(String owner, CreateSandboxRequest request) {
    if (notReady.isPresent()) {
      return Future.failedFuture(PhantomException.failedPrecondition(notReady.get()));
    }
    if (request.getProfile().isBlank()) {
      return Future.failedFuture(PhantomException.invalidArgument("profile is required"));
    }
    if (live.get() >= config.maxSessions()) {
      return Future.failedFuture(new PhantomException(GrpcStatus.RESOURCE_EXHAUSTED,
          "node " + nodeId + " already holds " + config.maxSessions() + " sessions"));
    }
    live.incrementAndGet();
    String id = SessionIds.newId(nodeId, random);
    String runId = "session-" + id.substring(id.lastIndexOf('.') + 1);
    Session[] holder = new Session[1];
    Future<Session> created = profiles.apply(request.getProfile()).compose(profile -> {
      Session session = new Session(id, runId, owner, request, profile);
      holder[0] = session;
      sessions.put(id, session);
      return workspaceBase(owner, request.getFromSnapshot()).compose(base -> {
        session.workspaceBase = base;
        return vertx.executeBlocking(() -> launch(session), false);
      }).compose(v -> session.ready.future());
    });
    return created.map(Session::describe).recover(failure -> {
      Session s = holder[0];
      if (s == null) {
        live.decrementAndGet();
      } else {
        stop(s, "it could not start");
        sessions.remove(s.id);
      }
      return Future.failedFuture(ZygoteFailures.toPhantom(failure));
    });
  }

  /** Empty for an empty workspace, else the read-only tree of the owner's snapshot. */
  private Future<String> workspaceBase(String owner, String snapshotId) {
    if (snapshotId.isEmpty()) {
      return Future.succeededFuture("");
    }
    if (snapshots == null) {
      return Future.failedFuture(PhantomException.failedPrecondition("node " + nodeId + " has no fragment store"
          + " to restore snapshots from"));
    }
    return snapshots.base(owner, snapshotId).map(Path::toString);
  }

  /** Stores the workspace of a ready sandbox in the fragment store (its processes frozen meanwhile). */
  public Future<dev.phantom.api.v1.Snapshot> snapshot(String owner, String id) {
    return ready(owner, id).compose(s -> {
      if (snapshots == null) {
        return Future.failedFuture(PhantomException.failedPrecondition("node " + nodeId + " has no fragment store"
            + " to snapshot into"));
      }
      if (s.snapshotting) {
        return Future.failedFuture(PhantomException.failedPrecondition("a snapshot of sandbox " + id
            + " is already being taken"));
      }
      s.snapshotting = true;
      s.touch();
      return snapshots.take(owner, id, s.agent).andThen(done -> {
        s.snapshotting = false;
        s.touch();
      });
    });
  }

  /** Blocking: control directory, agent, sandbox. */
  private Void launch(Session session) throws IOException {
    Path dir = sessionsDir.resolve(session.runId);
    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    session.controlDir = dir;
    Files.write(dir.resolve(AGENT), agentScript, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
        LinkOption.NOFOLLOW_LINKS);
    Files.setPosixFilePermissions(dir.resolve(AGENT), PosixFilePermissions.fromString("rw-r--r--"));
    List<Mount> mounts = new ArrayList<>(session.profile.mounts());
    mounts.add(new Mount.ReadOnlyBind(dir.toString(), IO_TARGET, false));
    SandboxProfile p = session.profile;
    SandboxProfile withAgent = p.withMounts(mounts);
    RunSpec spec = new RunSpec(session.runId, List.of("/usr/bin/sh", IO_TARGET + "/" + AGENT), new byte[0],
        session.env, session.times.maxLifetime().plusSeconds(30), Long.MAX_VALUE, session.limits, session.files,
        List.of(), "", session.workspaceBase);
    SandboxLauncher.Interactive agent = launcher.launchInteractive(withAgent, spec, session::agentOutput);
    session.agent = agent;
    // Ended only once its workspace and cgroup are gone too, so that Destroy's reply means nothing is left.
    agent.outcome().whenComplete((outcome, failure) -> agent.released().whenComplete(
        (released, ignored) -> context.runOnContext(v -> agentEnded(session, outcome, failure))));
    context.runOnContext(v -> {
      long timer = vertx.setTimer(START_TIMEOUT_MS, t -> session.ready.tryFail(
          PhantomException.unavailable("the agent of sandbox " + session.id + " did not start within " + START_TIMEOUT_MS + " ms")));
      session.ready.future().onComplete(done -> vertx.cancelTimer(timer));
    });
    return null;
  }

  public Future<Sandbox> get(String owner, String id) {
    return find(owner, id).map(s -> {
      s.touch();
      return s.describe();
    });
  }

  public Future<Sandbox> keepAlive(String owner, String id) {
    return ready(owner, id).map(s -> {
      s.touch();
      return s.describe();
    });
  }

  public List<Sandbox> list(String owner, Map<String, String> labels) {
    return sessions.values().stream()
        .filter(s -> s.owner.equals(owner))
        .filter(s -> s.state != State.STARTING)
        .filter(s -> labels.entrySet().stream().allMatch(l -> l.getValue().equals(s.labels.get(l.getKey()))))
        .map(Session::describe)
        .toList();
  }

  /** Completes once every process, the cgroup, the workspace and the control directory are gone. */
  public Future<Void> destroy(String owner, String id) {
    return find(owner, id).compose(s -> {
      stop(s, "destroyed");
      return s.gone.future();
    });
  }

  /** Stops every session (the node is stopping); completes once they are gone. */
  public Future<Void> stopAll() {
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
    }
    List<Future<Void>> gone = new ArrayList<>();
    for (Session s : List.copyOf(sessions.values())) {
      stop(s, "the zygote is stopping");
      gone.add(s.gone.future());
    }
    return Future.join(gone).<Void>mapEmpty().eventually(() -> {
      io.shutdown();
      return Future.succeededFuture();
    });
  }

  private void sweep() {
    Instant now = clock.instant();
    for (Session s : List.copyOf(sessions.values())) {
      if (s.state == State.READY) {
        if (!now.isBefore(s.maxDeadline)) {
          stop(s, "reached its maximum lifetime of " + s.times.maxLifetime());
        } else if (s.execs.isEmpty() && !now.isBefore(s.idleDeadline)) {
          stop(s, "idle for longer than its idle timeout of " + s.times.idle());
        }
      } else if (s.state == State.STOPPED && s.gone.future().isComplete()
          && !now.isBefore(s.stoppedAt.plusMillis(config.sessionRetainStoppedMs()))) {
        sessions.remove(s.id);
      }
    }
  }

  private void stop(Session s, String reason) {
    if (s.state == State.STOPPED) {
      return;
    }
    boolean starting = s.state == State.STARTING;
    s.state = State.STOPPED;
    s.stopReason = reason;
    s.stoppedAt = clock.instant();
    live.decrementAndGet();
    if (starting) {
      s.ready.tryFail(PhantomException.unavailable("sandbox " + s.id + " stopped while starting: " + reason));
    }
    for (Exec exec : List.copyOf(s.execs.values())) {
      exec.killedBy = exec.killedBy == null ? KillReason.CANCELLED : exec.killedBy;
      exec.message = "the sandbox stopped: " + reason;
      finish(exec);
    }
    if (s.agent != null) {
      s.agent.closeInput();
      s.agent.kill(KillReason.CANCELLED);
    } else {
      removeControlDir(s);
    }
    LOG.fine(() -> "session " + s.id + " stopped: " + reason);
  }

  private void agentEnded(Session s, RunOutcome outcome, Throwable failure) {
    if (outcome != null) {
      s.usage = outcome.usage();
    }
    if (s.state != State.STOPPED) {
      String why = failure != null ? String.valueOf(failure)
          : outcome.status() == RunOutcome.Status.OK ? "its agent ended (exit " + outcome.termination() + ")"
          : outcome.status() == RunOutcome.Status.OOM_KILLED ? "its agent was killed by the memory limit"
          : outcome.status() == RunOutcome.Status.FAILED_TO_START ? "it could not start: " + outcome.message()
          : "its agent was killed (" + outcome.status() + ")";
      if (s.state == State.STARTING) {
        s.ready.tryFail(outcome != null && outcome.status() == RunOutcome.Status.FAILED_TO_START
            ? PhantomException.failedPrecondition("sandbox could not start: " + outcome.message())
            : PhantomException.unavailable("sandbox " + s.id + " ended while starting: " + why));
      }
      stop(s, why);
    }
    removeControlDir(s);
  }

  private void removeControlDir(Session s) {
    Path dir = s.controlDir;
    vertx.executeBlocking(() -> {
      if (dir != null) {
        Workspaces.deleteTree(dir);
      }
      return null;
    }, false).onComplete(done -> s.gone.tryComplete());
  }

  // ---------------------------------------------------------------------------------------------------
  // Files (each one exec of a fixed script, so every path resolves inside the sandbox)

  public Future<Void> writeFiles(String owner, String id, List<dev.phantom.api.v1.WorkspaceFile> files) {
    return ready(owner, id).compose(s -> {
      List<WorkspaceFile> entries = new ArrayList<>();
      long total = 0;
      for (dev.phantom.api.v1.WorkspaceFile f : files) {
        if (f.getMode() > 07777) {
          throw PhantomException.invalidArgument("mode of '" + f.getPath() + "' must be permission bits (at most 07777)");
        }
        entries.add(WorkspaceFile.of(String.join("/", components(s, f.getPath())), f.getContent().toByteArray(),
            f.getMode()));
        total += f.getContent().size();
      }
      checkSize(total, "files");
      byte[] tar = TarWriter.archive(entries, clock.instant().getEpochSecond());
      String execId = newExecId();
      return internal(s, execId, ExecScripts.unpack(IO_TARGET, execId, s.workspaceTarget, true), tar, 0)
          .map(out -> (Void) null);
    });
  }

  public Future<List<FileInfo>> listFiles(String owner, String id, String path, boolean recursive) {
    return ready(owner, id).compose(s -> {
      String prefix = path.isEmpty() || path.equals(s.workspaceTarget) ? "" : String.join("/", components(s, path));
      String dir = prefix.isEmpty() ? s.workspaceTarget : s.workspaceTarget + "/" + prefix;
      String execId = newExecId();
      return internal(s, execId, ExecScripts.listFiles(IO_TARGET, execId, dir, recursive), null, config.maxRequestBytes())
          .map(out -> FileListing.parse(out, prefix).stream().map(SessionManager::fileInfo).toList());
    });
  }

  public Future<Void> removeFiles(String owner, String id, List<String> paths, boolean recursive) {
    return ready(owner, id).compose(s -> {
      List<String> absolute = paths.stream().map(p -> absolute(s, p)).toList();
      if (absolute.isEmpty()) {
        return Future.succeededFuture();
      }
      String execId = newExecId();
      return internal(s, execId, ExecScripts.remove(IO_TARGET, execId, absolute, recursive), null, 0).mapEmpty();
    });
  }

  public Future<Void> makeDirectories(String owner, String id, List<String> paths, int mode) {
    return ready(owner, id).compose(s -> {
      if (mode > 07777) {
        throw PhantomException.invalidArgument("mode must be permission bits (at most 07777)");
      }
      List<String> absolute = paths.stream().map(p -> absolute(s, p)).toList();
      if (absolute.isEmpty()) {
        return Future.succeededFuture();
      }
      String execId = newExecId();
      return internal(s, execId, ExecScripts.makeDirectories(IO_TARGET, execId, absolute, mode == 0 ? 0755 : mode),
          null, 0).mapEmpty();
    });
  }

  private static FileInfo fileInfo(FileListing.Entry e) {
    return FileInfo.newBuilder()
        .setPath(e.path())
        .setType(switch (e.type()) {
          case REGULAR -> FileType.FILE_TYPE_REGULAR;
          case DIRECTORY -> FileType.FILE_TYPE_DIRECTORY;
          case SYMLINK -> FileType.FILE_TYPE_SYMLINK;
          case OTHER -> FileType.FILE_TYPE_OTHER;
        })
        .setSize(e.size())
        .setMode(e.mode())
        .setModifiedAt(Timestamp.newBuilder().setSeconds(e.modifiedNanos() / 1_000_000_000L)
            .setNanos((int) (e.modifiedNanos() % 1_000_000_000L)))
        .build();
  }

  /**
   * Runs a file operation's script, feeding {@code stdin} (or nothing), and returns its standard output
   * (at most {@code keepStdout} bytes; more fails RESOURCE_EXHAUSTED). A non-zero exit is an error.
   */
  private Future<byte[]> internal(Session s, String execId, String script, byte[] stdin, long keepStdout) {
    Exec exec = new Exec(execId, s, Mode.COLLECT, null, keepStdout, operationTimeout(s));
    return startExec(exec, script).compose(started -> {
      if (stdin != null) {
        exec.pipes.writeStdin(stdin);
      }
      exec.pipes.closeStdin();
      return exec.done.future();
    }).compose(done -> {
      int code = done.getResult().getExitCode();
      if (done.getResult().getStatus() != RunStatus.RUN_STATUS_OK || code != 0) {
        return Future.failedFuture(operationFailure(exec, done.getResult()));
      }
      return Future.succeededFuture(exec.stdout.toByteArray());
    });
  }

  private PhantomException operationFailure(Exec exec, RunResult result) {
    String err = exec.stderr.toString(StandardCharsets.UTF_8).strip();
    if (result.getStatus() == RunStatus.RUN_STATUS_TIMEOUT) {
      return new PhantomException(GrpcStatus.DEADLINE_EXCEEDED, "the file operation timed out: " + err);
    }
    if (result.getStatus() != RunStatus.RUN_STATUS_OK) {
      return PhantomException.unavailable(result.getMessage());
    }
    return switch (result.getExitCode()) {
      case ExecScripts.MISSING -> PhantomException.notFound(err);
      case ExecScripts.WRONG_TYPE -> PhantomException.invalidArgument(err);
      default -> PhantomException.failedPrecondition(err.isEmpty() ? "exit code " + result.getExitCode() : err);
    };
  }

  // ---------------------------------------------------------------------------------------------------
  // Exec

  /**
   * Runs the request's command (or streamed file operation). {@code events} gets the started event, output
   * and the exit (or failed) event, in order, on the event loop; the future completes after the last.
   */
  public Future<ExecDone> exec(ExecRequest request, Consumer<ExecEvent> events) {
    if (!request.getExecId().matches("[A-Za-z0-9]{1,64}") || execs.containsKey(request.getExecId())) {
      return Future.failedFuture(PhantomException.invalidArgument("exec_id must be new and 1-64 letters and digits"));
    }
    return ready(request.getOwner(), request.getSandboxId()).compose(s -> {
      String id = request.getExecId();
      String script;
      Exec exec;
      switch (request.getOpCase()) {
        case COMMAND -> {
          ExecStart start = request.getCommand();
          String cwd = start.getCwd().isEmpty() ? s.workspaceTarget
              : start.getCwd().startsWith("/") ? start.getCwd() : s.workspaceTarget + "/" + start.getCwd();
          script = ExecScripts.command(IO_TARGET, id, start.getArgvList(), start.getEnvMap(), cwd);
          exec = new Exec(id, s, Mode.STREAM, events, s.maxOutputBytes, commandTimeout(s, start));
        }
        case READ_FILE -> {
          script = ExecScripts.readFile(IO_TARGET, id, absolute(s, request.getReadFile()));
          exec = new Exec(id, s, Mode.STREAM_ALL, events, config.maxRequestBytes(), operationTimeout(s));
        }
        case DOWNLOAD_ARCHIVE -> {
          script = ExecScripts.pack(IO_TARGET, id, directory(s, request.getDownloadArchive()));
          exec = new Exec(id, s, Mode.STREAM_ALL, events, config.maxRequestBytes(), operationTimeout(s));
        }
        case UPLOAD_ARCHIVE -> {
          script = ExecScripts.unpack(IO_TARGET, id, directory(s, request.getUploadArchive()), false);
          exec = new Exec(id, s, Mode.COLLECT, events, config.maxRequestBytes(), operationTimeout(s));
          exec.upload = true;
        }
        default -> throw PhantomException.invalidArgument("the exec request names no operation");
      }
      return startExec(exec, script).compose(started -> exec.done.future());
    });
  }

  /** Stdin, close, signal or cancel for a running exec; unknown ids (already ended) are ignored. */
  public void control(ExecControl control) {
    Exec exec = execs.get(control.getExecId());
    if (exec == null || exec.finished) {
      return;
    }
    switch (control.getControlCase()) {
      case STDIN -> {
        exec.stdinBytes += control.getStdin().size();
        long queued = exec.pipes.writeStdin(control.getStdin().toByteArray());
        if (queued > config.maxRequestBytes() || (exec.upload && exec.stdinBytes > config.maxRequestBytes())) {
          exec.failure = new PhantomException(GrpcStatus.RESOURCE_EXHAUSTED, (exec.upload
              ? "the archive is larger than " : "more stdin is waiting to be read than ") + config.maxRequestBytes() + " bytes");
          kill(exec, KillReason.CANCELLED);
        }
      }
      case CLOSE_STDIN -> exec.pipes.closeStdin();
      case SIGNAL -> {
        if (control.getSignal() < 1 || control.getSignal() > 64) {
          return;
        }
        signal(exec, control.getSignal());
      }
      case CANCEL -> kill(exec, KillReason.CANCELLED);
      case CONTROL_NOT_SET -> { }
    }
  }

  private Future<Void> startExec(Exec exec, String script) {
    Session s = exec.session;
    execs.put(exec.id, exec);
    s.execs.put(exec.id, exec);
    s.touch();
    exec.receivedNanos = System.nanoTime();
    Path dir = s.controlDir.resolve(exec.id);
    return vertx.executeBlocking(() -> {
      ExecPipes pipes = ExecPipes.create(dir, script, chownTo);
      pipes.start(io, (stream, data) -> context.runOnContext(v -> output(exec, stream, data)));
      pipes.outputClosed().whenComplete((v, e) -> context.runOnContext(x -> {
        exec.outputClosed = true;
        if (exec.exitStatus != null) {
          finish(exec);
        }
      }));
      return pipes;
    }, false).recover(failure -> {
      execs.remove(exec.id);
      s.execs.remove(exec.id);
      return Future.failedFuture(PhantomException.unavailable("the exec could not be set up: " + failure.getMessage()));
    }).compose(pipes -> {
      exec.pipes = pipes;
      if (s.state != State.READY) {
        exec.failure = PhantomException.failedPrecondition("sandbox " + s.id + " is stopped: " + s.stopReason);
        finish(exec);
        return Future.succeededFuture();
      }
      if (exec.events != null) {
        exec.events.accept(ExecEvent.newBuilder().setStarted(true).build());
      }
      if (!s.agent.write(("x " + exec.id + "\n").getBytes(StandardCharsets.US_ASCII))) {
        exec.failure = PhantomException.unavailable("the agent of sandbox " + s.id + " does not take commands");
        finish(exec);
        return Future.succeededFuture();
      }
      exec.timeoutTimer = vertx.setTimer(Math.max(1, exec.timeout.toMillis()), t -> kill(exec, KillReason.TIMEOUT));
      return Future.succeededFuture();
    });
  }

  private void output(Exec exec, OutputSink.Stream stream, byte[] data) {
    if (exec.finished) {
      return;
    }
    boolean out = stream == OutputSink.Stream.STDOUT;
    if (out) {
      exec.stdoutBytes += data.length;
    } else {
      exec.stderrBytes += data.length;
    }
    switch (exec.mode) {
      case STREAM -> {
        int keep = (out ? exec.stdoutBudget : exec.stderrBudget).admit(data.length);
        if (keep > 0) {
          send(exec, stream, keep == data.length ? data : java.util.Arrays.copyOf(data, keep));
        }
      }
      case STREAM_ALL -> {
        if (!out) {
          keepStderr(exec, data);
        } else if (exec.stdoutBytes > exec.keepStdout) {
          tooLarge(exec);
        } else {
          send(exec, stream, data);
        }
      }
      case COLLECT -> {
        if (!out) {
          keepStderr(exec, data);
        } else if (exec.keepStdout == 0) {
          return; // not wanted (tar's listing of WriteFiles)
        } else if (exec.upload) {
          for (byte b : data) {
            if (b == '\n') {
              exec.lines++;
            }
          }
        } else if (exec.stdoutBytes > exec.keepStdout) {
          tooLarge(exec);
        } else {
          exec.stdout.writeBytes(data);
        }
      }
    }
  }

  private void tooLarge(Exec exec) {
    if (exec.failure == null) {
      exec.failure = new PhantomException(GrpcStatus.RESOURCE_EXHAUSTED,
          "the result is larger than the limit of " + config.maxRequestBytes() + " bytes per call");
      kill(exec, KillReason.CANCELLED);
    }
  }

  private static void keepStderr(Exec exec, byte[] data) {
    int room = STDERR_KEEP - exec.stderr.size();
    if (room > 0) {
      exec.stderr.write(data, 0, Math.min(room, data.length));
    }
  }

  private static void send(Exec exec, OutputSink.Stream stream, byte[] data) {
    exec.events.accept(ExecEvent.newBuilder().setOutput(OutputChunk.newBuilder()
        .setStream(stream == OutputSink.Stream.STDOUT ? OutputStream.OUTPUT_STREAM_STDOUT : OutputStream.OUTPUT_STREAM_STDERR)
        .setData(ByteString.copyFrom(data))).build());
  }

  private void signal(Exec exec, int signal) {
    if (exec.pgid > 0) {
      exec.session.agent.write(("k " + exec.pgid + " " + signal + "\n").getBytes(StandardCharsets.US_ASCII));
    } else {
      exec.pendingSignals.add(signal);
    }
  }

  private void kill(Exec exec, KillReason reason) {
    if (exec.finished) {
      return;
    }
    if (exec.killedBy == null) {
      exec.killedBy = reason;
    }
    signal(exec, 9);
    // An agent that no longer answers (stopped by the sandbox's own code) must not hold the caller forever.
    vertx.setTimer(KILL_GRACE_MS, t -> {
      if (!exec.finished) {
        exec.message = "the exec did not end after SIGKILL; given up";
        finish(exec);
      }
    });
  }

  private void agentEvent(Session s, AgentEvent event) {
    switch (event) {
      case AgentEvent.Ready r -> {
        if (s.state == State.STARTING) {
          s.state = State.READY;
          s.touch();
          s.ready.tryComplete(s);
        }
      }
      case AgentEvent.Started started -> {
        Exec exec = s.execs.get(started.execId());
        if (exec != null && exec.pgid == 0) {
          exec.pgid = started.pid();
          exec.startedNanos = System.nanoTime();
          List<Integer> pending = List.copyOf(exec.pendingSignals);
          exec.pendingSignals.clear();
          pending.forEach(sig -> signal(exec, sig));
        }
      }
      case AgentEvent.Exited exited -> {
        Exec exec = s.execs.get(exited.execId());
        if (exec != null && exec.exitStatus == null) {
          exec.exitStatus = exited.status();
          exec.exitedNanos = System.nanoTime();
          if (exec.outputClosed) {
            finish(exec);
          } else {
            vertx.setTimer(OUTPUT_GRACE_MS, t -> finish(exec));
          }
        }
      }
    }
  }

  private void finish(Exec exec) {
    if (exec.finished) {
      return;
    }
    exec.finished = true;
    execs.remove(exec.id);
    exec.session.execs.remove(exec.id);
    exec.session.touch();
    if (exec.timeoutTimer >= 0) {
      vertx.cancelTimer(exec.timeoutTimer);
    }
    ExecPipes pipes = exec.pipes;
    if (pipes != null) {
      io.execute(pipes::detach);
    }
    RunResult result = result(exec);
    Counter.builder("phantom.zygote.execs").tag("status", result.getStatus().name().substring(11).toLowerCase())
        .description("Finished session execs by status").register(meters).increment();
    if (exec.failure != null) {
      if (exec.events != null) {
        exec.events.accept(ExecEvent.newBuilder().setFailed(ExecFailed.newBuilder()
            .setStatus(exec.failure.status().code).setMessage(exec.failure.getMessage())).build());
      }
      exec.done.fail(exec.failure);
      return;
    }
    if (exec.mode == Mode.STREAM_ALL && exec.killedBy == null && exec.exitStatus != null && exec.exitStatus != 0) {
      PhantomException failed = operationFailure(exec, result);
      if (exec.events != null) {
        exec.events.accept(ExecEvent.newBuilder().setFailed(ExecFailed.newBuilder()
            .setStatus(failed.status().code).setMessage(failed.getMessage())).build());
      }
      exec.done.fail(failed);
      return;
    }
    if (exec.upload && exec.killedBy == null && (exec.exitStatus == null || exec.exitStatus != 0)) {
      PhantomException failed = PhantomException.invalidArgument("the archive could not be unpacked: "
          + exec.stderr.toString(StandardCharsets.UTF_8).strip());
      exec.events.accept(ExecEvent.newBuilder().setFailed(ExecFailed.newBuilder()
          .setStatus(failed.status().code).setMessage(failed.getMessage())).build());
      exec.done.fail(failed);
      return;
    }
    ExecDone done = ExecDone.newBuilder().setResult(result).setFiles(exec.lines).setBytes(exec.stdinBytes).build();
    if (exec.events != null) {
      exec.events.accept(ExecEvent.newBuilder().setExit(done).build());
    }
    exec.done.complete(done);
  }

  private RunResult result(Exec exec) {
    Session s = exec.session;
    long end = exec.exitedNanos > 0 ? exec.exitedNanos : System.nanoTime();
    RunResult.Builder r = RunResult.newBuilder()
        .setStatus(exec.killedBy == KillReason.TIMEOUT ? RunStatus.RUN_STATUS_TIMEOUT
            : exec.killedBy != null || exec.exitStatus == null ? RunStatus.RUN_STATUS_KILLED
            : RunStatus.RUN_STATUS_OK)
        .setStdoutTruncated(exec.stdoutBudget.truncated())
        .setStderrTruncated(exec.stderrBudget.truncated())
        .setStdoutBytes(exec.stdoutBytes)
        .setStderrBytes(exec.stderrBytes)
        .setTimings(Timings.newBuilder()
            .setSpawnMicros(exec.startedNanos > 0 ? (exec.startedNanos - exec.receivedNanos) / 1000 : 0)
            .setWallMicros((end - (exec.startedNanos > 0 ? exec.startedNanos : exec.receivedNanos)) / 1000))
        .setNodeId(nodeId)
        .setPolicyDigest(s.profile.digest())
        .setLimits(dev.phantom.api.v1.ResourceLimits.newBuilder().setMemoryBytes(s.limits.memoryBytes())
            .setPids(s.limits.pids()).setCpuMillicores(s.limits.cpuMillicores()));
    if (exec.exitStatus != null) {
      r.setExitCode(exec.exitStatus);
    } else {
      r.setSignal(9);
    }
    String message = exec.message != null ? exec.message
        : exec.killedBy == KillReason.TIMEOUT ? "timed out after " + exec.timeout.toMillis() + " ms; its process group was killed"
        : exec.killedBy != null ? "killed: the caller went away or the call was refused" : "";
    return r.setMessage(message).build();
  }

  // ---------------------------------------------------------------------------------------------------
  // Lookup and paths

  private Future<Session> find(String owner, String id) {
    Session s = sessions.get(id);
    if (s == null || !s.owner.equals(owner) || s.state == State.STARTING) {
      // Another owner's sandbox is indistinguishable from a missing one.
      return Future.failedFuture(PhantomException.notFound("no sandbox " + id));
    }
    return Future.succeededFuture(s);
  }

  private Future<Session> ready(String owner, String id) {
    return find(owner, id).compose(s -> s.state == State.READY ? Future.succeededFuture(s)
        : Future.failedFuture(PhantomException.failedPrecondition("sandbox " + id + " is stopped: " + s.stopReason)));
  }

  private static List<String> components(Session s, String path) {
    try {
      return WorkspacePaths.components(s.workspaceTarget, path);
    } catch (ZygoteException e) {
      throw PhantomException.invalidArgument(e.getMessage());
    }
  }

  private static String absolute(Session s, String path) {
    return s.workspaceTarget + "/" + String.join("/", components(s, path));
  }

  /** A directory of the workspace; empty (or the workspace's own path) is the workspace. */
  private static String directory(Session s, String path) {
    return path.isEmpty() || path.equals(s.workspaceTarget) || path.equals(s.workspaceTarget + "/")
        ? s.workspaceTarget : absolute(s, path);
  }

  private void checkSize(long bytes, String what) {
    if (bytes > config.maxRequestBytes()) {
      throw new PhantomException(GrpcStatus.RESOURCE_EXHAUSTED,
          what + " of " + bytes + " bytes exceed the limit of " + config.maxRequestBytes() + " bytes per call");
    }
  }

  private String newExecId() {
    return "f" + SessionIds.randomPart(random, 80);
  }

  private Duration commandTimeout(Session s, ExecStart start) {
    long max = s.profile.limits().maxTimeoutMs();
    long ms;
    if (start.hasTimeout()) {
      ms = start.getTimeout().getSeconds() * 1000 + start.getTimeout().getNanos() / 1_000_000;
      if (ms <= 0) {
        throw PhantomException.invalidArgument("timeout must be positive");
      }
      if (max > 0 && ms > max) {
        throw PhantomException.invalidArgument("timeout " + ms + " ms exceeds the maximum of profile "
            + s.profile.name() + " (" + max + " ms)");
      }
    } else {
      ms = s.profile.limits().defaultTimeoutMs() > 0 ? s.profile.limits().defaultTimeoutMs() : config.defaultTimeoutMs();
    }
    return Duration.ofMillis(ms);
  }

  private Duration operationTimeout(Session s) {
    long max = s.profile.limits().maxTimeoutMs();
    return Duration.ofMillis(max > 0 ? max : config.defaultTimeoutMs());
  }



  // ---------------------------------------------------------------------------------------------------
  // State

  private enum State {
    STARTING,
    READY,
    STOPPED
  }

  /** STREAM: output to the caller within the output cap; STREAM_ALL: all of stdout or fail; COLLECT: kept here. */
  private enum Mode {
    STREAM,
    STREAM_ALL,
    COLLECT
  }

  private final class Session {
    final String id;
    final String runId;
    final String owner;
    final SandboxProfile profile;
    final Map<String, String> labels;
    final Map<String, String> env;
    final List<WorkspaceFile> files;
    final ResourceLimits limits;
    final SessionTimes times;
    final String workspaceTarget;
    final long maxOutputBytes;
    final Instant created;
    final Instant maxDeadline;
    final Map<String, Exec> execs = new LinkedHashMap<>();
    final Promise<Session> ready = Promise.promise();
    final Promise<Void> gone = Promise.promise();
    /** Agent output, owned by its reader thread. */
    private final StringBuilder line = new StringBuilder();
    private boolean overlong;
    Instant idleDeadline;
    State state = State.STARTING;
    String stopReason = "";
    Instant stoppedAt;
    volatile Path controlDir;
    volatile SandboxLauncher.Interactive agent;
    ResourceUsage usage = ResourceUsage.NONE;
    /** The read-only tree the workspace is an overlay on (a restored snapshot), or empty. */
    volatile String workspaceBase = "";
    boolean snapshotting;

    Session(String id, String runId, String owner, CreateSandboxRequest request, SandboxProfile profile) {
      this.id = id;
      this.runId = runId;
      this.owner = owner;
      this.profile = profile;
      this.labels = Map.copyOf(request.getLabelsMap());
      this.env = Map.copyOf(request.getEnvMap());
      this.workspaceTarget = profile.mounts().stream().filter(m -> m instanceof Mount.Workspace).map(Mount::target)
          .findFirst().orElseThrow(() -> PhantomException.invalidArgument(
              "profile " + profile.name() + " has no workspace: sessions need one"));
      this.times = SessionTimes.resolve(
          request.hasIdleTimeout() ? Optional.of(duration(request.getIdleTimeout())) : Optional.empty(),
          request.hasMaxLifetime() ? Optional.of(duration(request.getMaxLifetime())) : Optional.empty(),
          Duration.ofMillis(config.sessionIdleTimeoutMs()), Duration.ofMillis(config.sessionMaxLifetimeMs()));
      this.limits = dev.phantom.zygote.bus.ProtoMapping.limits(request.getLimits(), profile);
      List<WorkspaceFile> placed = new ArrayList<>();
      long total = 0;
      for (dev.phantom.api.v1.WorkspaceFile f : request.getFilesList()) {
        components(this, f.getPath());
        placed.add(WorkspaceFile.of(f.getPath(), f.getContent().toByteArray(), f.getMode()));
        total += f.getContent().size();
      }
      checkSize(total, "files");
      this.files = placed;
      this.maxOutputBytes = profile.limits().maxOutputBytes() > 0 ? profile.limits().maxOutputBytes() : config.maxOutputBytes();
      this.created = clock.instant();
      this.maxDeadline = created.plus(times.maxLifetime());
      this.idleDeadline = created.plus(times.idle());
    }

    void touch() {
      Instant next = clock.instant().plus(times.idle());
      idleDeadline = next.isAfter(maxDeadline) ? maxDeadline : next;
    }

    /** The agent's stdout (reports) and stderr (its own complaints), on the sandbox's reader threads. */
    void agentOutput(OutputSink.Stream stream, byte[] data) {
      if (stream == OutputSink.Stream.STDERR) {
        LOG.fine(() -> "session " + id + " agent: " + new String(data, StandardCharsets.UTF_8).strip());
        return;
      }
      for (byte b : data) {
        if (b == '\n') {
          if (!overlong) {
            AgentEvent.parse(line.toString()).ifPresent(e -> context.runOnContext(v -> agentEvent(this, e)));
          }
          line.setLength(0);
          overlong = false;
        } else if (line.length() < AgentEvent.MAX_LINE) {
          line.append((char) (b & 0xff));
        } else {
          overlong = true;
        }
      }
    }

    Sandbox describe() {
      Sandbox.Builder b = Sandbox.newBuilder()
          .setId(id)
          .setProfile(profile.name())
          .setState(state == State.READY ? SandboxState.SANDBOX_STATE_READY : SandboxState.SANDBOX_STATE_STOPPED)
          .putAllLabels(labels)
          .setCreatedAt(timestamp(created))
          .setIdleDeadline(timestamp(idleDeadline))
          .setMaxDeadline(timestamp(maxDeadline))
          .setNodeId(nodeId)
          .setLimits(dev.phantom.api.v1.ResourceLimits.newBuilder().setMemoryBytes(limits.memoryBytes())
              .setPids(limits.pids()).setCpuMillicores(limits.cpuMillicores()))
          .setUsage(dev.phantom.api.v1.ResourceUsage.newBuilder().setCpuUserMicros(usage.cpuUserMicros())
              .setCpuSystemMicros(usage.cpuSystemMicros()).setPeakMemoryBytes(usage.peakMemoryBytes()))
          .setStopReason(stopReason);
      return b.build();
    }
  }

  private static Duration duration(com.google.protobuf.Duration d) {
    return Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }

  private static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  private static final class Exec {
    final String id;
    final Session session;
    final Mode mode;
    final Consumer<ExecEvent> events;
    final long keepStdout;
    final Duration timeout;
    final OutputBudget stdoutBudget;
    final OutputBudget stderrBudget;
    final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    final List<Integer> pendingSignals = new ArrayList<>();
    final Promise<ExecDone> done = Promise.promise();
    ExecPipes pipes;
    boolean upload;
    int pgid;
    Integer exitStatus;
    boolean outputClosed;
    boolean finished;
    KillReason killedBy;
    PhantomException failure;
    String message;
    long receivedNanos;
    long startedNanos;
    long exitedNanos;
    long stdoutBytes;
    long stderrBytes;
    long stdinBytes;
    int lines;
    long timeoutTimer = -1;

    Exec(String id, Session session, Mode mode, Consumer<ExecEvent> events, long keep, Duration timeout) {
      this.id = id;
      this.session = session;
      this.mode = mode;
      this.events = events;
      this.keepStdout = keep;
      this.timeout = timeout;
      this.stdoutBudget = new OutputBudget(mode == Mode.STREAM ? keep : Long.MAX_VALUE);
      this.stderrBudget = new OutputBudget(mode == Mode.STREAM ? keep : Long.MAX_VALUE);
    }
  }
}
