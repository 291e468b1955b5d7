package dev.phantom.support.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Gate for tests that need real sandboxes. On a host that cannot run them they skip, unless
 * {@code PHANTOM_MUST_WORK=1} (set by .ci/run), where they fail: CI never skips silently.
 */
public final class SandboxHost {

  private SandboxHost() {}

  public static boolean mustWork() {
    return "1".equals(System.getenv("PHANTOM_MUST_WORK"));
  }

  /** Skips (or, when sandboxes must work, fails) unless bubblewrap is installed. */
  public static void assumeBubblewrap() {
    boolean present = Files.isExecutable(Path.of("/usr/bin/bwrap")) || Files.isExecutable(Path.of("/usr/local/bin/bwrap"));
    if (!present && mustWork()) {
      fail("PHANTOM_MUST_WORK=1 but bubblewrap is not installed (apt-get install -y bubblewrap)");
    }
    assumeTrue(present, "bubblewrap is not installed; set PHANTOM_MUST_WORK=1 to make this a failure");
  }
}
