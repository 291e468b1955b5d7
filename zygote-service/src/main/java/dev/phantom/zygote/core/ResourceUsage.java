package dev.phantom.zygote.core;

/**
 * What a sandbox's cgroup measured once every process in it was gone.
 *
 * @param cpuUserMicros CPU time in user mode, all processes together
 * @param cpuSystemMicros CPU time in kernel mode
 * @param peakMemoryBytes highest memory charge of the cgroup (0 when the kernel does not report it)
 * @param oomKills processes the OOM killer killed in the cgroup
 */
public record ResourceUsage(long cpuUserMicros, long cpuSystemMicros, long peakMemoryBytes, long oomKills) {

  public static final ResourceUsage NONE = new ResourceUsage(0, 0, 0, 0);

  /**
   * CPU time and OOM kills since {@code before} (a warm slot's agent spent CPU starting before its job came);
   * the peak stays: a job in a slot holds the agent's memory as its own command would.
   */
  public ResourceUsage since(ResourceUsage before) {
    return new ResourceUsage(Math.max(0, cpuUserMicros - before.cpuUserMicros),
        Math.max(0, cpuSystemMicros - before.cpuSystemMicros), peakMemoryBytes, Math.max(0, oomKills - before.oomKills));
  }
}
