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
}
