package dev.phantom.policy.core;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Named constants a profile may use in argument conditions. Values are the same on x86_64 and
 * aarch64 (asm-generic ioctl numbers, generic socket and clone constants).
 */
public final class LinuxConstants {

  private LinuxConstants() {}

  private static final Map<String, Long> BY_NAME = new TreeMap<>(Map.ofEntries(
      // socket(2) domains
      Map.entry("AF_UNIX", 1L),
      Map.entry("AF_INET", 2L),
      Map.entry("AF_INET6", 10L),
      Map.entry("AF_NETLINK", 16L),
      Map.entry("AF_PACKET", 17L),
      Map.entry("AF_VSOCK", 40L),
      // socket(2) types; the type argument also carries SOCK_NONBLOCK/SOCK_CLOEXEC, so mask it with SOCK_TYPE_MASK
      Map.entry("SOCK_STREAM", 1L),
      Map.entry("SOCK_DGRAM", 2L),
      Map.entry("SOCK_RAW", 3L),
      Map.entry("SOCK_PACKET", 10L),
      Map.entry("SOCK_TYPE_MASK", 0xfL),
      // ioctl(2) requests
      Map.entry("TIOCSTI", 0x5412L),
      Map.entry("TIOCLINUX", 0x541CL),
      // clone(2) namespace flags
      Map.entry("CLONE_NEWTIME", 0x80L),
      Map.entry("CLONE_NEWNS", 0x20000L),
      Map.entry("CLONE_NEWCGROUP", 0x02000000L),
      Map.entry("CLONE_NEWUTS", 0x04000000L),
      Map.entry("CLONE_NEWIPC", 0x08000000L),
      Map.entry("CLONE_NEWUSER", 0x10000000L),
      Map.entry("CLONE_NEWPID", 0x20000000L),
      Map.entry("CLONE_NEWNET", 0x40000000L)));

  public static Optional<Long> byName(String name) {
    return Optional.ofNullable(BY_NAME.get(name));
  }

  public static Set<String> names() {
    return BY_NAME.keySet();
  }
}
