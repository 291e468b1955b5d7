package dev.phantom.orchestrator.core;

/**
 * When a node counts as under pressure. The defaults follow what the PSI figures mean: "some" CPU
 * stall is normal on a busy machine, so it takes a lot of it; any sustained "full" memory or io
 * stall means every task on the node is waiting, so a little is enough.
 *
 * @param cpuSome percent of cpu "some" avg10 at or above which the node is under pressure
 * @param memoryFull percent of memory "full" avg10 (every task stalled on reclaim or swap)
 * @param memorySome percent of memory "some" avg10
 * @param ioFull percent of io "full" avg10
 * @param minFreeMemoryBytes less free memory than this is pressure whatever PSI says, since PSI only
 *     rises once reclaim has started
 */
public record PressureThresholds(double cpuSome, double memoryFull, double memorySome, double ioFull,
    long minFreeMemoryBytes) {

  public static final double DEFAULT_CPU_SOME = 80;
  public static final double DEFAULT_MEMORY_FULL = 5;
  public static final double DEFAULT_MEMORY_SOME = 20;
  public static final double DEFAULT_IO_FULL = 20;
  public static final long DEFAULT_MIN_FREE_MEMORY_BYTES = 256L << 20;

  public static final PressureThresholds DEFAULTS = new PressureThresholds(
      DEFAULT_CPU_SOME, DEFAULT_MEMORY_FULL, DEFAULT_MEMORY_SOME, DEFAULT_IO_FULL, DEFAULT_MIN_FREE_MEMORY_BYTES);

  public boolean underPressure(NodePressure node) {
    return node.spiking()
        || node.cpu().someAvg10() >= cpuSome
        || node.memory().fullAvg10() >= memoryFull
        || node.memory().someAvg10() >= memorySome
        || node.io().fullAvg10() >= ioFull
        || node.freeMemoryBytes() < minFreeMemoryBytes;
  }
}
