package dev.phantom.zygote.core;

/** One filesystem step of a sandbox, applied in profile order (later steps see earlier ones). */
public sealed interface Mount {

  /** Path inside the sandbox. */
  String target();

  /** Read-only bind of a host path; {@code optional} skips it when the host path is missing. */
  record ReadOnlyBind(String source, String target, boolean optional) implements Mount {}

  /** Writable bind of a host path; {@code optional} skips it when the host path is missing. */
  record Bind(String source, String target, boolean optional) implements Mount {}

  /** A fresh tmpfs; {@code sizeBytes} 0 keeps bubblewrap's default size. */
  record Tmpfs(String target, long sizeBytes) implements Mount {}

  /** A fresh procfs for the sandbox's pid namespace. */
  record Proc(String target) implements Mount {}

  /** A minimal /dev (null, zero, full, random, urandom, tty, pts). */
  record Dev(String target) implements Mount {}

  /** A symbolic link at {@code target} pointing to {@code linkTo}. */
  record Symlink(String linkTo, String target) implements Mount {}

  /** An empty directory. */
  record Dir(String target) implements Mount {}

  /**
   * A fresh writable directory per run (a tmpfs of {@code sizeBytes} when the service is root; 0 = tmpfs
   * default), or the request's host workspace; bound read-write at {@code target}. The launcher fills in
   * the host directory, so {@link BwrapArgs} needs it passed separately.
   */
  record Workspace(String target, long sizeBytes) implements Mount {}
}
