package dev.phantom.zygote.core;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a compiled profile says about the sandbox, independent of the wire format.
 *
 * @param name profile name, for messages
 * @param digest compiled policy digest, echoed in every result
 * @param seccompBpf classic BPF {@code sock_filter} array in host byte order; empty means no filter
 * @param mounts filesystem steps in order
 * @param env environment of every run, before the request's own variables (kept sorted by name)
 * @param hostname sandbox hostname; empty keeps bubblewrap's default
 * @param cwd working directory inside the sandbox; empty keeps bubblewrap's default
 * @param uid uid the command sees inside
 * @param gid gid the command sees inside
 * @param limits time and output limits
 * @param image the image the sandbox's root comes from (a tag or a 64-hex manifest digest); empty: the
 *     root is an empty tmpfs and only the mounts fill it. The zygote materializes it and adds its
 *     top-level entries to {@code mounts} ({@link ImageRoot}) before anything is launched.
 */
public record SandboxProfile(
    String name,
    String digest,
    byte[] seccompBpf,
    List<Mount> mounts,
    Map<String, String> env,
    String hostname,
    String cwd,
    int uid,
    int gid,
    Limits limits,
    String image) {

  /** Largest seccomp program the kernel accepts: BPF_MAXINSNS (4096) instructions of 8 bytes. */
  public static final int MAX_SECCOMP_BYTES = 4096 * 8;

  public SandboxProfile {
    Objects.requireNonNull(name, "name");
    digest = digest == null ? "" : digest;
    seccompBpf = seccompBpf == null ? new byte[0] : seccompBpf.clone();
    mounts = List.copyOf(mounts);
    env = Sorted.copy(env);
    hostname = hostname == null ? "" : hostname;
    cwd = cwd == null ? "" : cwd;
    Objects.requireNonNull(limits, "limits");
    image = image == null ? "" : image;
  }

  /** A profile without an image. */
  public SandboxProfile(String name, String digest, byte[] seccompBpf, List<Mount> mounts, Map<String, String> env,
      String hostname, String cwd, int uid, int gid, Limits limits) {
    this(name, digest, seccompBpf, mounts, env, hostname, cwd, uid, gid, limits, "");
  }

  /** The same profile with other mounts. */
  public SandboxProfile withMounts(List<Mount> newMounts) {
    return new SandboxProfile(name, digest, seccompBpf, newMounts, env, hostname, cwd, uid, gid, limits, image);
  }

  @Override
  public byte[] seccompBpf() {
    return seccompBpf.clone();
  }

  /**
   * Limits of a profile; 0 means "none" (or "the node's default" for timeout and output).
   *
   * @param defaultTimeoutMs used when a request names none; 0 = the node's default
   * @param maxTimeoutMs largest timeout a request may ask for; 0 = no profile maximum
   * @param maxOutputBytes kept per stream (stdout, stderr); 0 = the node's default
   * @param defaults memory, pids and CPU used when a request names none (its rlimit fields are the profile's)
   * @param maximums largest memory, pids and CPU a request may ask for (rlimit fields unused)
   */
  public record Limits(long defaultTimeoutMs, long maxTimeoutMs, long maxOutputBytes, ResourceLimits defaults,
      ResourceLimits maximums) {

    public Limits {
      defaults = defaults == null ? ResourceLimits.NONE : defaults;
      maximums = maximums == null ? ResourceLimits.NONE : maximums;
    }

    /** Time and output limits only: no cgroup or rlimit. */
    public Limits(long defaultTimeoutMs, long maxTimeoutMs, long maxOutputBytes) {
      this(defaultTimeoutMs, maxTimeoutMs, maxOutputBytes, ResourceLimits.NONE, ResourceLimits.NONE);
    }
  }

}
