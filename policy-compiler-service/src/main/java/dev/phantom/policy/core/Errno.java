package dev.phantom.policy.core;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Errno names a profile may return from a denied syscall: every name of the kernel's
 * {@code asm-generic/errno-base.h} and {@code errno.h}, shared by x86_64 and aarch64. Numbers
 * 1..4095 may also be written directly.
 */
public final class Errno {

  private Errno() {}

  /** Generated from the Linux UAPI headers; aliases (EWOULDBLOCK, EDEADLOCK) included. */
  private static final Map<String, Integer> BY_NAME = sorted(Map.ofEntries(
      Map.entry("EPERM", 1),
      Map.entry("ENOENT", 2),
      Map.entry("ESRCH", 3),
      Map.entry("EINTR", 4),
      Map.entry("EIO", 5),
      Map.entry("ENXIO", 6),
      Map.entry("E2BIG", 7),
      Map.entry("ENOEXEC", 8),
      Map.entry("EBADF", 9),
      Map.entry("ECHILD", 10),
      Map.entry("EAGAIN", 11),
      Map.entry("ENOMEM", 12),
      Map.entry("EACCES", 13),
      Map.entry("EFAULT", 14),
      Map.entry("ENOTBLK", 15),
      Map.entry("EBUSY", 16),
      Map.entry("EEXIST", 17),
      Map.entry("EXDEV", 18),
      Map.entry("ENODEV", 19),
      Map.entry("ENOTDIR", 20),
      Map.entry("EISDIR", 21),
      Map.entry("EINVAL", 22),
      Map.entry("ENFILE", 23),
      Map.entry("EMFILE", 24),
      Map.entry("ENOTTY", 25),
      Map.entry("ETXTBSY", 26),
      Map.entry("EFBIG", 27),
      Map.entry("ENOSPC", 28),
      Map.entry("ESPIPE", 29),
      Map.entry("EROFS", 30),
      Map.entry("EMLINK", 31),
      Map.entry("EPIPE", 32),
      Map.entry("EDOM", 33),
      Map.entry("ERANGE", 34),
      Map.entry("EDEADLK", 35),
      Map.entry("ENAMETOOLONG", 36),
      Map.entry("ENOLCK", 37),
      Map.entry("ENOSYS", 38),
      Map.entry("ENOTEMPTY", 39),
      Map.entry("ELOOP", 40),
      Map.entry("ENOMSG", 42),
      Map.entry("EIDRM", 43),
      Map.entry("ECHRNG", 44),
      Map.entry("EL2NSYNC", 45),
      Map.entry("EL3HLT", 46),
      Map.entry("EL3RST", 47),
      Map.entry("ELNRNG", 48),
      Map.entry("EUNATCH", 49),
      Map.entry("ENOCSI", 50),
      Map.entry("EL2HLT", 51),
      Map.entry("EBADE", 52),
      Map.entry("EBADR", 53),
      Map.entry("EXFULL", 54),
      Map.entry("ENOANO", 55),
      Map.entry("EBADRQC", 56),
      Map.entry("EBADSLT", 57),
      Map.entry("EBFONT", 59),
      Map.entry("ENOSTR", 60),
      Map.entry("ENODATA", 61),
      Map.entry("ETIME", 62),
      Map.entry("ENOSR", 63),
      Map.entry("ENONET", 64),
      Map.entry("ENOPKG", 65),
      Map.entry("EREMOTE", 66),
      Map.entry("ENOLINK", 67),
      Map.entry("EADV", 68),
      Map.entry("ESRMNT", 69),
      Map.entry("ECOMM", 70),
      Map.entry("EPROTO", 71),
      Map.entry("EMULTIHOP", 72),
      Map.entry("EDOTDOT", 73),
      Map.entry("EBADMSG", 74),
      Map.entry("EOVERFLOW", 75),
      Map.entry("ENOTUNIQ", 76),
      Map.entry("EBADFD", 77),
      Map.entry("EREMCHG", 78),
      Map.entry("ELIBACC", 79),
      Map.entry("ELIBBAD", 80),
      Map.entry("ELIBSCN", 81),
      Map.entry("ELIBMAX", 82),
      Map.entry("ELIBEXEC", 83),
      Map.entry("EILSEQ", 84),
      Map.entry("ERESTART", 85),
      Map.entry("ESTRPIPE", 86),
      Map.entry("EUSERS", 87),
      Map.entry("ENOTSOCK", 88),
      Map.entry("EDESTADDRREQ", 89),
      Map.entry("EMSGSIZE", 90),
      Map.entry("EPROTOTYPE", 91),
      Map.entry("ENOPROTOOPT", 92),
      Map.entry("EPROTONOSUPPORT", 93),
      Map.entry("ESOCKTNOSUPPORT", 94),
      Map.entry("EOPNOTSUPP", 95),
      Map.entry("EPFNOSUPPORT", 96),
      Map.entry("EAFNOSUPPORT", 97),
      Map.entry("EADDRINUSE", 98),
      Map.entry("EADDRNOTAVAIL", 99),
      Map.entry("ENETDOWN", 100),
      Map.entry("ENETUNREACH", 101),
      Map.entry("ENETRESET", 102),
      Map.entry("ECONNABORTED", 103),
      Map.entry("ECONNRESET", 104),
      Map.entry("ENOBUFS", 105),
      Map.entry("EISCONN", 106),
      Map.entry("ENOTCONN", 107),
      Map.entry("ESHUTDOWN", 108),
      Map.entry("ETOOMANYREFS", 109),
      Map.entry("ETIMEDOUT", 110),
      Map.entry("ECONNREFUSED", 111),
      Map.entry("EHOSTDOWN", 112),
      Map.entry("EHOSTUNREACH", 113),
      Map.entry("EALREADY", 114),
      Map.entry("EINPROGRESS", 115),
      Map.entry("ESTALE", 116),
      Map.entry("EUCLEAN", 117),
      Map.entry("ENOTNAM", 118),
      Map.entry("ENAVAIL", 119),
      Map.entry("EISNAM", 120),
      Map.entry("EREMOTEIO", 121),
      Map.entry("EDQUOT", 122),
      Map.entry("ENOMEDIUM", 123),
      Map.entry("EMEDIUMTYPE", 124),
      Map.entry("ECANCELED", 125),
      Map.entry("ENOKEY", 126),
      Map.entry("EKEYEXPIRED", 127),
      Map.entry("EKEYREVOKED", 128),
      Map.entry("EKEYREJECTED", 129),
      Map.entry("EOWNERDEAD", 130),
      Map.entry("ENOTRECOVERABLE", 131),
      Map.entry("ERFKILL", 132),
      Map.entry("EHWPOISON", 133)));

  public static final int EPERM = 1;
  public static final int ENOSYS = 38;
  public static final int MAX = 4095;

  private static Map<String, Integer> sorted(Map<String, Integer> m) {
    Map<String, Integer> out = new LinkedHashMap<>();
    m.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  public static Optional<Integer> byName(String name) {
    return Optional.ofNullable(BY_NAME.get(name));
  }

  public static Set<String> names() {
    return BY_NAME.keySet();
  }

  /** The first name (in number order, then alphabetically) for a known number, else the number itself. */
  public static String name(int errno) {
    if (errno == 11) {
      return "EAGAIN";
    }
    if (errno == 35) {
      return "EDEADLK";
    }
    return BY_NAME.entrySet().stream().filter(e -> e.getValue() == errno).map(Map.Entry::getKey)
        .min(Comparator.naturalOrder()).orElse(Integer.toString(errno));
  }
}
