package dev.phantom.support;

/** The host's CPU architecture as the kernel names it (uname -m), which is how profiles name it too. */
public final class HostArch {

  private HostArch() {}

  public static String current() {
    return of(System.getProperty("os.arch"));
  }

  /** Maps the JVM's {@code os.arch} to the kernel's name; unknown names pass through. */
  public static String of(String jvmArch) {
    return switch (jvmArch) {
      case "amd64", "x86_64" -> "x86_64";
      case "aarch64", "arm64" -> "aarch64";
      default -> jvmArch;
    };
  }
}
