package dev.phantom.policy.core;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Named constants a profile may use in argument conditions. Only constants with the same value on
 * x86_64 and aarch64 are offered (asm-generic ioctl numbers, the generic socket, clone, mmap and most
 * open flags); the few open flags whose values differ between the two ({@link #ARCH_DEPENDENT}) are
 * refused with a hint instead of being silently wrong on one of them.
 */
public final class LinuxConstants {

  private LinuxConstants() {}

  /** Names a user may expect but whose value depends on the architecture. */
  public static final Set<String> ARCH_DEPENDENT = Set.of("O_DIRECTORY", "O_NOFOLLOW", "O_DIRECT", "O_LARGEFILE",
      "O_TMPFILE", "PROT_SEM", "PROT_BTI", "PROT_MTE", "MAP_32BIT");

  private static final Map<String, Long> BY_NAME = new TreeMap<>();

  private static void put(String name, long value) {
    if (BY_NAME.put(name, value) != null) {
      throw new IllegalStateException("constant " + name + " twice");
    }
  }

  static {
    // socket(2) domains
    put("AF_UNSPEC", 0); put("AF_UNIX", 1); put("AF_LOCAL", 1); put("AF_INET", 2); put("AF_AX25", 3);
    put("AF_IPX", 4); put("AF_APPLETALK", 5); put("AF_NETROM", 6); put("AF_BRIDGE", 7); put("AF_ATMPVC", 8);
    put("AF_X25", 9); put("AF_INET6", 10); put("AF_ROSE", 11); put("AF_DECnet", 12); put("AF_NETBEUI", 13);
    put("AF_SECURITY", 14); put("AF_KEY", 15); put("AF_NETLINK", 16); put("AF_ROUTE", 16); put("AF_PACKET", 17);
    put("AF_ASH", 18); put("AF_ECONET", 19); put("AF_ATMSVC", 20); put("AF_RDS", 21); put("AF_SNA", 22);
    put("AF_IRDA", 23); put("AF_PPPOX", 24); put("AF_WANPIPE", 25); put("AF_LLC", 26); put("AF_IB", 27);
    put("AF_MPLS", 28); put("AF_CAN", 29); put("AF_TIPC", 30); put("AF_BLUETOOTH", 31); put("AF_IUCV", 32);
    put("AF_RXRPC", 33); put("AF_ISDN", 34); put("AF_PHONET", 35); put("AF_IEEE802154", 36); put("AF_CAIF", 37);
    put("AF_ALG", 38); put("AF_NFC", 39); put("AF_VSOCK", 40); put("AF_KCM", 41); put("AF_QIPCRTR", 42);
    put("AF_SMC", 43); put("AF_XDP", 44); put("AF_MCTP", 45);
    // socket(2) types; the type argument also carries SOCK_NONBLOCK/SOCK_CLOEXEC, so mask it with SOCK_TYPE_MASK
    put("SOCK_STREAM", 1); put("SOCK_DGRAM", 2); put("SOCK_RAW", 3); put("SOCK_RDM", 4); put("SOCK_SEQPACKET", 5);
    put("SOCK_DCCP", 6); put("SOCK_PACKET", 10); put("SOCK_TYPE_MASK", 0xf); put("SOCK_NONBLOCK", 0x800);
    put("SOCK_CLOEXEC", 0x80000);
    // ioctl(2) requests (asm-generic/ioctls.h, used by both)
    put("TCGETS", 0x5401); put("TCSETS", 0x5402); put("TCSETSW", 0x5403); put("TCSETSF", 0x5404);
    put("TCGETA", 0x5405); put("TCSETA", 0x5406); put("TCSETAW", 0x5407); put("TCSETAF", 0x5408);
    put("TCSBRK", 0x5409); put("TCXONC", 0x540A); put("TCFLSH", 0x540B); put("TIOCEXCL", 0x540C);
    put("TIOCNXCL", 0x540D); put("TIOCSCTTY", 0x540E); put("TIOCGPGRP", 0x540F); put("TIOCSPGRP", 0x5410);
    put("TIOCOUTQ", 0x5411); put("TIOCSTI", 0x5412); put("TIOCGWINSZ", 0x5413); put("TIOCSWINSZ", 0x5414);
    put("TIOCMGET", 0x5415); put("TIOCMBIS", 0x5416); put("TIOCMBIC", 0x5417); put("TIOCMSET", 0x5418);
    put("TIOCGSOFTCAR", 0x5419); put("TIOCSSOFTCAR", 0x541A); put("FIONREAD", 0x541B); put("TIOCINQ", 0x541B);
    put("TIOCLINUX", 0x541C); put("TIOCCONS", 0x541D); put("TIOCGSERIAL", 0x541E); put("TIOCSSERIAL", 0x541F);
    put("TIOCPKT", 0x5420); put("FIONBIO", 0x5421); put("TIOCNOTTY", 0x5422); put("TIOCSETD", 0x5423);
    put("TIOCGETD", 0x5424); put("TCSBRKP", 0x5425); put("TIOCSBRK", 0x5427); put("TIOCCBRK", 0x5428);
    put("TIOCGSID", 0x5429); put("TIOCGPTN", 0x80045430L); put("TIOCSPTLCK", 0x40045431L);
    put("TIOCGDEV", 0x80045432L); put("TIOCSIG", 0x40045436L); put("TIOCVHANGUP", 0x5437);
    put("TIOCGPTPEER", 0x5441); put("FIONCLEX", 0x5450); put("FIOCLEX", 0x5451); put("FIOASYNC", 0x5452);
    put("TIOCSERCONFIG", 0x5453); put("TIOCGLCKTRMIOS", 0x5456); put("TIOCSLCKTRMIOS", 0x5457);
    // clone(2) flags; CLONE_NEWTIME shares its bit with the exit signal in clone(2), only clone3 has it
    put("CSIGNAL", 0xff); put("CLONE_NEWTIME", 0x80); put("CLONE_VM", 0x100); put("CLONE_FS", 0x200);
    put("CLONE_FILES", 0x400); put("CLONE_SIGHAND", 0x800); put("CLONE_PIDFD", 0x1000);
    put("CLONE_PTRACE", 0x2000); put("CLONE_VFORK", 0x4000); put("CLONE_PARENT", 0x8000);
    put("CLONE_THREAD", 0x10000); put("CLONE_NEWNS", 0x20000); put("CLONE_SYSVSEM", 0x40000);
    put("CLONE_SETTLS", 0x80000); put("CLONE_PARENT_SETTID", 0x100000); put("CLONE_CHILD_CLEARTID", 0x200000);
    put("CLONE_DETACHED", 0x400000); put("CLONE_UNTRACED", 0x800000); put("CLONE_CHILD_SETTID", 0x1000000);
    put("CLONE_NEWCGROUP", 0x02000000); put("CLONE_NEWUTS", 0x04000000); put("CLONE_NEWIPC", 0x08000000);
    put("CLONE_NEWUSER", 0x10000000); put("CLONE_NEWPID", 0x20000000); put("CLONE_NEWNET", 0x40000000);
    put("CLONE_IO", 0x80000000L);
    // open(2) flags with one value on both (octal in the headers)
    put("O_RDONLY", 0); put("O_WRONLY", 01); put("O_RDWR", 02); put("O_ACCMODE", 03); put("O_CREAT", 0100);
    put("O_EXCL", 0200); put("O_NOCTTY", 0400); put("O_TRUNC", 01000); put("O_APPEND", 02000);
    put("O_NONBLOCK", 04000); put("O_NDELAY", 04000); put("O_DSYNC", 010000); put("FASYNC", 020000);
    put("O_NOATIME", 01000000); put("O_CLOEXEC", 02000000); put("O_SYNC", 04010000); put("O_PATH", 010000000);
    // mmap(2)/mprotect(2)
    put("PROT_NONE", 0); put("PROT_READ", 1); put("PROT_WRITE", 2); put("PROT_EXEC", 4);
    put("PROT_GROWSDOWN", 0x01000000); put("PROT_GROWSUP", 0x02000000);
    put("MAP_SHARED", 0x01); put("MAP_PRIVATE", 0x02); put("MAP_SHARED_VALIDATE", 0x03); put("MAP_TYPE", 0x0f);
    put("MAP_FIXED", 0x10); put("MAP_ANONYMOUS", 0x20); put("MAP_FIXED_NOREPLACE", 0x100000);
    // personality(2)
    put("PER_LINUX", 0); put("PER_LINUX32", 0x8); put("UNAME26", 0x20000); put("ADDR_NO_RANDOMIZE", 0x40000);
    put("PER_QUERY", 0xffffffffL);
  }

  public static Optional<Long> byName(String name) {
    return Optional.ofNullable(BY_NAME.get(name));
  }

  public static Set<String> names() {
    return BY_NAME.keySet();
  }
}
