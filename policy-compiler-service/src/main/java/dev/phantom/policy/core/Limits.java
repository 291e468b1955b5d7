package dev.phantom.policy.core;

import java.time.Duration;
import java.util.Objects;

/**
 * Run limits a profile grants: for timeout, memory, pids and CPU a default (what a run gets when it
 * asks for nothing) and a maximum (the most it may ask for); the rest are fixed per profile.
 *
 * @param defaultTimeout used when a run asks for none
 * @param maxTimeout the most a run may ask for
 * @param maxOutputBytes per stream (stdout, stderr)
 * @param defaultMemoryBytes cgroup memory limit when a run asks for none
 * @param maxMemoryBytes the most memory a run may ask for
 * @param defaultPids cgroup pids limit (processes and threads) when a run asks for none
 * @param maxPids the most pids a run may ask for
 * @param defaultCpuMillicores CPU time per wall second, in thousandths of a core, when a run asks for none
 * @param maxCpuMillicores the most CPU a run may ask for
 * @param maxFileSizeBytes RLIMIT_FSIZE: largest file the command may write
 * @param maxOpenFiles RLIMIT_NOFILE
 */
public record Limits(
    Duration defaultTimeout,
    Duration maxTimeout,
    long maxOutputBytes,
    long defaultMemoryBytes,
    long maxMemoryBytes,
    int defaultPids,
    int maxPids,
    int defaultCpuMillicores,
    int maxCpuMillicores,
    long maxFileSizeBytes,
    int maxOpenFiles) {

  public Limits {
    Objects.requireNonNull(defaultTimeout, "defaultTimeout");
    Objects.requireNonNull(maxTimeout, "maxTimeout");
    if (defaultTimeout.isNegative() || defaultTimeout.isZero()) {
      throw new IllegalArgumentException("default timeout must be positive");
    }
    if (defaultTimeout.compareTo(maxTimeout) > 0) {
      throw new IllegalArgumentException("default timeout " + defaultTimeout.toMillis()
          + " ms exceeds max timeout " + maxTimeout.toMillis() + " ms");
    }
    if (maxTimeout.toMillis() > 0xFFFF_FFFFL) {
      throw new IllegalArgumentException("max timeout does not fit in 32 bits of milliseconds");
    }
    positive("max output", maxOutputBytes);
    pair("memory", defaultMemoryBytes, maxMemoryBytes);
    pair("pids", defaultPids, maxPids);
    pair("cpu millicores", defaultCpuMillicores, maxCpuMillicores);
    positive("max file size", maxFileSizeBytes);
    positive("max open files", maxOpenFiles);
  }

  private static void positive(String what, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(what + " must be positive, not " + value);
    }
  }

  private static void pair(String what, long defaultValue, long maxValue) {
    positive("default " + what, defaultValue);
    positive("max " + what, maxValue);
    if (defaultValue > maxValue) {
      throw new IllegalArgumentException("default " + what + " " + defaultValue + " exceeds max " + what + " " + maxValue);
    }
  }
}
