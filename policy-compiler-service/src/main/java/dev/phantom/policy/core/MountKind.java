package dev.phantom.policy.core;

import java.util.Arrays;
import java.util.Optional;

/** The bubblewrap mount operations a profile can ask for. */
public enum MountKind {
  RO_BIND("ro-bind"),
  BIND("bind"),
  TMPFS("tmpfs"),
  PROC("proc"),
  DEV("dev"),
  SYMLINK("symlink"),
  DIR("dir"),
  /**
   * The sandbox's writable work area: a fresh directory per sandbox, capped at the mount's size,
   * where the zygote places the request's files before the command starts (or the request's host
   * directory where the gateway allows that). At most one per profile.
   */
  WORKSPACE("workspace");

  private final String spelling;

  MountKind(String spelling) {
    this.spelling = spelling;
  }

  /** How profiles write it (bubblewrap's option name without the dashes). */
  public String spelling() {
    return spelling;
  }

  public static Optional<MountKind> fromSpelling(String s) {
    return Arrays.stream(values()).filter(k -> k.spelling.equals(s)).findFirst();
  }
}
