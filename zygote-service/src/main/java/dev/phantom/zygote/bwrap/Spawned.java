package dev.phantom.zygote.bwrap;

import dev.phantom.zygote.core.SandboxCgroups;
import dev.phantom.zygote.workspace.Workspaces;

/**
 * A bubblewrap process just spawned: the parent's ends of its pipes and what was made for it. Whoever holds
 * it owns every descriptor until a {@link BwrapRun} takes them over.
 *
 * @param pid the bubblewrap (or the setpriv/prlimit wrapper that execs it) process on the host
 * @param startNanos when the spawn began, for the reported spawn time
 * @param blockFd write end of bubblewrap's --block-fd, or -1 when it was not blocked
 * @param workspace null when the profile has no workspace or workspaces are plain in-sandbox dirs
 * @param workspaceTarget the workspace's mount point inside the sandbox, or empty
 */
record Spawned(int pid, long startNanos, int stdinFd, int stdoutFd, int stderrFd, int statusFd, int blockFd,
    SandboxCgroups.Group group, Workspaces workspaces, Workspaces.Workspace workspace, String workspaceTarget) {}
