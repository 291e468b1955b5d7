package dev.phantom.policy.core;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Errno names a profile may return from a denied syscall. The values are the asm-generic ones,
 * shared by x86_64 and aarch64.
 */
public final class Errno {

  private Errno() {}

  private static final Map<String, Integer> BY_NAME = new TreeMap<>(Map.ofEntries(
      Map.entry("EPERM", 1),
      Map.entry("ENOENT", 2),
      Map.entry("EINTR", 4),
      Map.entry("EIO", 5),
      Map.entry("EBADF", 9),
      Map.entry("EAGAIN", 11),
      Map.entry("ENOMEM", 12),
      Map.entry("EACCES", 13),
      Map.entry("EFAULT", 14),
      Map.entry("EBUSY", 16),
      Map.entry("EEXIST", 17),
      Map.entry("EINVAL", 22),
      Map.entry("ENOSPC", 28),
      Map.entry("EROFS", 30),
      Map.entry("ENOSYS", 38),
      Map.entry("EOPNOTSUPP", 95),
      Map.entry("EAFNOSUPPORT", 97)));

  public static final int EPERM = 1;
  public static final int ENOSYS = 38;

  public static Optional<Integer> byName(String name) {
    return Optional.ofNullable(BY_NAME.get(name));
  }

  public static Iterable<String> names() {
    return BY_NAME.keySet();
  }

  /** Name for a known number, else the number itself. */
  public static String name(int errno) {
    return BY_NAME.entrySet().stream().filter(e -> e.getValue() == errno)
        .map(Map.Entry::getKey).findFirst().orElse(Integer.toString(errno));
  }
}
