package dev.phantom.policy.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * Content address of a compiled profile: SHA-256 over the profile's canonical form and
 * {@link PolicyCompiler#COMPILER_VERSION}. The canonical form is a line-per-field rendering of the
 * parsed profile, so reformatting or commenting the YAML keeps the digest, while any change in
 * meaning (or in the compiler) changes it. It does not depend on the architecture: the same
 * profile has the same digest on every arch.
 */
public final class ProfileDigest {

  private ProfileDigest() {}

  public static String of(Profile profile, String compilerVersion) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(canonical(profile).getBytes(StandardCharsets.UTF_8));
      sha.update(("compiler=" + compilerVersion + "\n").getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** One field per line; strings are quoted with Java-style escapes so no value can fake a line. */
  public static String canonical(Profile p) {
    StringBuilder out = new StringBuilder();
    line(out, "name", q(p.name()));
    if (!p.image().isEmpty()) {
      line(out, "image", q(p.image())); // only when set: digests of profiles without an image stay as they were
    }
    line(out, "description", q(p.description()));
    for (MountSpec m : p.mounts()) {
      line(out, "mount", m.kind().spelling() + " " + q(m.source()) + " " + q(m.target())
          + " optional=" + m.optional() + " size=" + m.sizeBytes());
    }
    line(out, "network", p.network().name());
    for (Map.Entry<String, String> e : p.env().entrySet()) {
      line(out, "env", q(e.getKey()) + "=" + q(e.getValue()));
    }
    line(out, "hostname", q(p.hostname()));
    line(out, "cwd", q(p.cwd()));
    line(out, "uid", Integer.toString(p.uid()));
    line(out, "gid", Integer.toString(p.gid()));
    Limits l = p.limits();
    line(out, "limits", "timeout=" + l.defaultTimeout().toMillis() + "ms/" + l.maxTimeout().toMillis()
        + "ms output=" + l.maxOutputBytes() + " memory=" + l.defaultMemoryBytes() + "/" + l.maxMemoryBytes()
        + " pids=" + l.defaultPids() + "/" + l.maxPids() + " cpu=" + l.defaultCpuMillicores() + "m/"
        + l.maxCpuMillicores() + "m fsize=" + l.maxFileSizeBytes() + " nofile=" + l.maxOpenFiles());
    line(out, "seccomp.default", p.seccomp().defaultAction().describe());
    for (SeccompRule r : p.seccomp().rules()) {
      StringBuilder when = new StringBuilder();
      for (ArgCondition c : r.conditions()) {
        when.append(" when ").append(c.describe());
      }
      line(out, "seccomp.rule", r.action().describe() + " " + String.join(",", r.syscalls()) + when);
    }
    return out.toString();
  }

  private static void line(StringBuilder out, String key, String value) {
    out.append(key).append(' ').append(value).append('\n');
  }

  private static String q(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
