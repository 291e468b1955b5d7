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
  DIR("dir");

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
