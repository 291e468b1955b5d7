package dev.phantom.policy.core;

import java.util.Objects;

/**
 * One filesystem operation bubblewrap performs, in order, to build the sandbox's root.
 *
 * @param kind what to do
 * @param source host path for binds, link target for symlinks, empty otherwise
 * @param target absolute path inside the sandbox
 * @param optional skip a bind whose host path is missing instead of failing the sandbox
 * @param sizeBytes tmpfs size cap (0 leaves bubblewrap's default); workspace size cap (required)
 */
public record MountSpec(MountKind kind, String source, String target, boolean optional, long sizeBytes) {

  public MountSpec {
    Objects.requireNonNull(kind, "kind");
    source = source == null ? "" : source;
    Objects.requireNonNull(target, "target");
    if (!target.startsWith("/")) {
      throw new IllegalArgumentException("target must be an absolute path, not '" + target + "'");
    }
    boolean needsSource = kind == MountKind.RO_BIND || kind == MountKind.BIND || kind == MountKind.SYMLINK;
    if (needsSource && source.isEmpty()) {
      throw new IllegalArgumentException(kind.spelling() + " " + target + " needs a source");
    }
    if (!needsSource && !source.isEmpty()) {
      throw new IllegalArgumentException(kind.spelling() + " " + target + " takes no source");
    }
    if ((kind == MountKind.RO_BIND || kind == MountKind.BIND) && !source.startsWith("/")) {
      throw new IllegalArgumentException("bind source must be an absolute host path, not '" + source + "'");
    }
    if (sizeBytes < 0 || (sizeBytes > 0 && kind != MountKind.TMPFS && kind != MountKind.WORKSPACE)) {
      throw new IllegalArgumentException("size applies to tmpfs and workspace only and cannot be negative");
    }
    if (kind == MountKind.WORKSPACE && sizeBytes == 0) {
      throw new IllegalArgumentException("workspace " + target + " needs a size (e.g. 256MiB)");
    }
    if (optional && kind != MountKind.RO_BIND && kind != MountKind.BIND) {
      throw new IllegalArgumentException("only binds can be optional");
    }
  }
}
