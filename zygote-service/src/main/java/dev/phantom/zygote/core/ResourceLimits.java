package dev.phantom.zygote.core;

/**
 * The limits one sandbox runs under; 0 in any field means "not limited".
 *
 * @param memoryBytes memory cgroup limit (RAM, page cache, tmpfs pages it writes); swap never extends it
 * @param pids processes and threads at once (pids cgroup)
 * @param cpuMillicores CPU time per wall-clock second in thousandths of a core (CFS quota)
 * @param maxFileSizeBytes RLIMIT_FSIZE of the command
 * @param maxOpenFiles RLIMIT_NOFILE of the command
 */
public record ResourceLimits(long memoryBytes, int pids, int cpuMillicores, long maxFileSizeBytes, int maxOpenFiles) {

  public static final ResourceLimits NONE = new ResourceLimits(0, 0, 0, 0, 0);

  public ResourceLimits {
    if (memoryBytes < 0 || pids < 0 || cpuMillicores < 0 || maxFileSizeBytes < 0 || maxOpenFiles < 0) {
      throw new IllegalArgumentException("limits must be >= 0");
    }
  }

  /** True when a cgroup is needed for these limits. */
  public boolean needsCgroup() {
    return memoryBytes > 0 || pids > 0 || cpuMillicores > 0;
  }
}
