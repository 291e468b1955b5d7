package dev.phantom.zygote.core;

/**
 * Per-sandbox control groups (the port; {@code cgroup.CgroupV1} and {@code cgroup.CgroupV2} are the real
 * ones, {@link #NONE} is used when the host offers none). Every sandbox gets one child group below a parent
 * with a stable name, itself below the service's own group, so that a restarted service finds the
 * leftovers of one that was killed.
 */
public interface SandboxCgroups {

  /** For logs and the README: version, controllers, parent directories. */
  String describe();

  /** True when limits are enforced (false for {@link #NONE}). */
  boolean enforced();

  /**
   * Creates the group of one run and applies {@code limits} to it (0 fields stay unlimited).
   *
   * @throws ZygoteException {@code SPAWN} when the group cannot be created
   */
  Group create(String runId, ResourceLimits limits);

  /**
   * True when groups can be made ahead of any run ({@link #park}) and handed to one later ({@link #adopt}):
   * cgroup v1, whose directories can be renamed.
   */
  default boolean parks() {
    return false;
  }

  /**
   * Makes the unlimited group {@code launcher-<index>} for a process parked ahead of a run.
   *
   * @throws java.nio.file.FileAlreadyExistsException (wrapped in UncheckedIOException) when that name is taken
   * @throws ZygoteException {@code SPAWN} when the group cannot be created
   */
  default Group park(int index) {
    throw new UnsupportedOperationException("this kind of cgroups does not park groups");
  }

  /**
   * Hands a parked group to a run: renamed as {@link #create} names a run's group (so its name is free for
   * the next parked one), with {@code limits} applied and its usage counters reset. The parked process stays
   * in it throughout: nothing migrates.
   */
  default Group adopt(Group parked, String runId, ResourceLimits limits) {
    throw new UnsupportedOperationException("this kind of cgroups does not park groups");
  }

  /**
   * Kills every process in every group below the parent and removes those groups. Call once at start,
   * before the first run: at that point no group there belongs to a live run of this service.
   *
   * @return how many groups were removed
   */
  int removeLeftovers();

  /** Groups of runs and warm slots below the parent right now, parked ones not counted (for tests and diagnostics). */
  int groupCount();

  /** Parked groups ({@link #park}) below the parent right now. */
  default int parkedGroupCount() {
    return 0;
  }

  /**
   * At shutdown, once no run is left: removes what is left below the parent and, where nothing of
   * the service lives in it, the parent itself, so a stopped service leaves no cgroup behind.
   */
  default void close() {
    removeLeftovers();
  }

  /** One run's group. */
  interface Group {

    /** Moves a process (and its future children) into the group, in every controller. */
    void add(int pid);

    /** The processes in the group now (host pids); empty when groups are not used. */
    default java.util.List<Integer> pids() {
      return java.util.List.of();
    }

    /** Sends SIGKILL to every process in the group once; does not wait. Safe to call from any thread. */
    void killAll();

    /**
     * Kills until the group is empty (processes forking while being killed included), at most {@code
     * timeoutMillis}; true when it is empty.
     */
    boolean killAndWait(long timeoutMillis);

    /** CPU, peak memory and OOM kills so far. */
    ResourceUsage usage();

    /** Removes the group (it must be empty); retries briefly while the kernel still holds it. */
    void remove();

    /**
     * Freezes (or thaws) every process of the group, waiting up to {@code timeoutMillis} for the kernel to
     * report it frozen; false when this kind of group cannot be frozen or did not freeze in time.
     */
    default boolean freeze(boolean frozen, long timeoutMillis) {
      return false;
    }
  }

  /** No cgroups: nothing is limited or measured. */
  SandboxCgroups NONE = new SandboxCgroups() {
    @Override
    public String describe() {
      return "none";
    }

    @Override
    public boolean enforced() {
      return false;
    }

    @Override
    public Group create(String runId, ResourceLimits limits) {
      return new Group() {
        @Override
        public void add(int pid) {}

        @Override
        public void killAll() {}

        @Override
        public boolean killAndWait(long timeoutMillis) {
          return true;
        }

        @Override
        public ResourceUsage usage() {
          return ResourceUsage.NONE;
        }

        @Override
        public void remove() {}
      };
    }

    @Override
    public int removeLeftovers() {
      return 0;
    }

    @Override
    public int groupCount() {
      return 0;
    }
  };
}
