package dev.phantom.loadtest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A full collection in another JVM before its memory is read, so garbage does not pass for cost. */
final class Jvm {

  private Jvm() {}

  /** Runs GC.run through jcmd of this JDK; does nothing when jcmd is missing or cannot attach. */
  static void gc(long pid) {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    if (Files.isExecutable(jcmd)) {
      HostRuns.run(List.of(jcmd.toString(), Long.toString(pid), "GC.run"));
    }
  }
}
