package dev.phantom.zygote;

import dev.phantom.support.config.ConfigReader;
import dev.phantom.zygote.core.PoolMemory;
import dev.phantom.zygote.core.SlotAgent;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;

/**
 * The zygote role's configuration, read from its section of the node configuration.
 *
 * @param bwrapPath path of bwrap; empty searches PATH
 * @param sandboxUid host uid bubblewrap runs as when the service is root
 * @param sandboxGid host gid bubblewrap runs as when the service is root
 * @param maxConcurrent sandboxes this node runs at once; more are refused with RESOURCE_EXHAUSTED
 * @param reportIntervalMs period of the NodeReport publication
 * @param defaultTimeoutMs timeout when neither the request nor the profile names one
 * @param maxOutputBytes bytes kept per stream when the profile names no limit
 * @param profileCacheMs how long a compiled profile is reused before it is fetched again
 * @param policyTimeoutMs how long to wait for the policy compiler
 * @param shutdownGraceMs how long stopping waits for killed sandboxes to be gone
 * @param stateDir per-host directory for run workspaces and the ownership lock; empty = /run/phantom when
 *     /run is writable, else /tmp/phantom-&lt;uid&gt;
 * @param cgroups "auto" (use them when the host has them), "required" (not ready without), "off"
 * @param maxSessions sessions (long-lived sandboxes) this node holds at once; more are RESOURCE_EXHAUSTED
 * @param sessionIdleTimeoutMs idle timeout of a session whose request names none
 * @param sessionMaxLifetimeMs cap of a session's maximum lifetime (requests asking for more get this)
 * @param sessionRetainStoppedMs how long a stopped session stays visible (STOPPED, with its reason)
 * @param maxRequestBytes largest file, archive or listing one session call moves; more is RESOURCE_EXHAUSTED
 * @param pools warm pools made at start: {@code [{"profile": NAME, "size": N, "agent": "shell"|"python"|"node"}]};
 *     the agent defaults to python / node for profiles named python* / node*, else shell. Default: {@link #DEFAULT_POOLS}
 * @param poolMemoryShare share of available memory idle warm slots may hold, all pools together (config key
 *     {@code poolMemoryPercent}, default 25)
 * @param poolShrinkPressure memory pressure (PSI some avg10, percent) above which pools shrink to half
 * @param pressureDir where the node's pressure files (cpu, memory, io) are read; anything but the default
 *     {@value #DEFAULT_PRESSURE_DIR} is for tests that skew one node's pressure (no PSI triggers then)
 * @param imageCacheBytes cap of the node's image cache (chunks and files under {@code <stateDir>/images});
 *     above it, chunks and then the least recently used trees no sandbox uses are evicted. Default
 *     {@link dev.phantom.zygote.image.CacheLimit#DEFAULT_MAX_BYTES} (20 GiB)
 * @param imagePrepareWaitMs how long a spawn waits for its image to be materialized before it is refused with
 *     UNAVAILABLE ("image ... is being prepared on node ..."; the gateway sends it again); below the gateway's
 *     spawnGraceMs. 0 = wait as long as it takes
 * @param launchers shells parked for cold runs, each in a fresh cgroup (cgroup v1 hosts; see
 *     {@code bwrap.ParkedLaunchers}); 0 = cold runs place bubblewrap in its cgroup themselves. Default
 *     {@value #DEFAULT_LAUNCHERS}
 */
public record ZygoteConfig(
    Optional<String> bwrapPath,
    int sandboxUid,
    int sandboxGid,
    int maxConcurrent,
    long reportIntervalMs,
    long defaultTimeoutMs,
    long maxOutputBytes,
    long profileCacheMs,
    long policyTimeoutMs,
    long shutdownGraceMs,
    Optional<String> stateDir,
    String cgroups,
    int maxSessions,
    long sessionIdleTimeoutMs,
    long sessionMaxLifetimeMs,
    long sessionRetainStoppedMs,
    long maxRequestBytes,
    List<PoolSetting> pools,
    double poolMemoryShare,
    double poolShrinkPressure,
    String pressureDir,
    long imageCacheBytes,
    long imagePrepareWaitMs,
    int launchers) {

  /** One warm pool of the configuration. */
  public record PoolSetting(String profile, int size, SlotAgent agent) {}

  /** Warm slots a node keeps when its configuration names none: the shell and the Python of the README. */
  public static final List<PoolSetting> DEFAULT_POOLS = List.of(
      new PoolSetting("minimal", 2, SlotAgent.SHELL), new PoolSetting("python-dev", 2, SlotAgent.PYTHON));

  public static final List<String> CGROUP_MODES = List.of("auto", "required", "off");

  /**
   * The host user sandboxes run as: one of their own, not {@code nobody} (65534), which other daemons
   * (NFS, some services) also run as, so that nothing else on the host shares a sandbox's identity.
   * 65520 lies between systemd's dynamic users (61184-65519) and nobody; no passwd entry is needed.
   */
  public static final int DEFAULT_SANDBOX_UID = 65520;
  public static final int DEFAULT_SANDBOX_GID = 65520;
  public static final int DEFAULT_MAX_CONCURRENT = 64;
  public static final long DEFAULT_REPORT_INTERVAL_MS = 500;
  public static final long DEFAULT_TIMEOUT_MS = 30_000;
  public static final long DEFAULT_MAX_OUTPUT_BYTES = 1 << 20;
  public static final long DEFAULT_PROFILE_CACHE_MS = 60_000;
  public static final long DEFAULT_POLICY_TIMEOUT_MS = 5_000;
  public static final long DEFAULT_SHUTDOWN_GRACE_MS = 5_000;
  public static final int DEFAULT_MAX_SESSIONS = 32;
  public static final long DEFAULT_SESSION_IDLE_TIMEOUT_MS = 600_000;
  public static final long DEFAULT_SESSION_MAX_LIFETIME_MS = 3_600_000;
  public static final long DEFAULT_SESSION_RETAIN_STOPPED_MS = 300_000;
  public static final long DEFAULT_MAX_REQUEST_BYTES = 64L << 20;
  public static final String DEFAULT_PRESSURE_DIR = "/proc/pressure";
  /** A third of the gateway's default spawn grace (15 s): the refusal reaches it well before it gives up. */
  public static final long DEFAULT_IMAGE_PREPARE_WAIT_MS = 5_000;
  public static final int DEFAULT_LAUNCHERS = 4;

  private static final List<String> KEYS = List.of("bwrapPath", "sandboxUid", "sandboxGid", "maxConcurrent",
      "reportIntervalMs", "defaultTimeoutMs", "maxOutputBytes", "profileCacheMs", "policyTimeoutMs", "shutdownGraceMs", "stateDir", "cgroups",
      "maxSessions", "sessionIdleTimeoutMs", "sessionMaxLifetimeMs", "sessionRetainStoppedMs", "maxRequestBytes",
      "pools", "poolMemoryPercent", "poolShrinkPressure", "pressureDir", "imageCacheBytes", "imagePrepareWaitMs", "launchers");

  /** Reads and validates; the exception lists every problem at once. */
  public static ZygoteConfig fromJson(JsonObject json) {
    ConfigReader reader = new ConfigReader("zygote", json, KEYS);
    // uid and gid 0 are refused on purpose: sandboxed root must never be host root.
    ZygoteConfig config = new ZygoteConfig(
        reader.optionalString("bwrapPath"),
        (int) reader.integer("sandboxUid", DEFAULT_SANDBOX_UID, 1, Integer.MAX_VALUE),
        (int) reader.integer("sandboxGid", DEFAULT_SANDBOX_GID, 1, Integer.MAX_VALUE),
        (int) reader.integer("maxConcurrent", DEFAULT_MAX_CONCURRENT, 1, 100_000),
        reader.integer("reportIntervalMs", DEFAULT_REPORT_INTERVAL_MS, 10, 3_600_000),
        reader.integer("defaultTimeoutMs", DEFAULT_TIMEOUT_MS, 1, 86_400_000),
        reader.integer("maxOutputBytes", DEFAULT_MAX_OUTPUT_BYTES, 0, 1L << 30),
        reader.integer("profileCacheMs", DEFAULT_PROFILE_CACHE_MS, 0, 86_400_000),
        reader.integer("policyTimeoutMs", DEFAULT_POLICY_TIMEOUT_MS, 1, 600_000),
        reader.integer("shutdownGraceMs", DEFAULT_SHUTDOWN_GRACE_MS, 0, 600_000),
        reader.optionalString("stateDir"),
        reader.string("cgroups", "auto"),
        (int) reader.integer("maxSessions", DEFAULT_MAX_SESSIONS, 0, 100_000),
        reader.integer("sessionIdleTimeoutMs", DEFAULT_SESSION_IDLE_TIMEOUT_MS, 100, 7L * 86_400_000),
        reader.integer("sessionMaxLifetimeMs", DEFAULT_SESSION_MAX_LIFETIME_MS, 100, 30L * 86_400_000),
        reader.integer("sessionRetainStoppedMs", DEFAULT_SESSION_RETAIN_STOPPED_MS, 0, 86_400_000),
        reader.integer("maxRequestBytes", DEFAULT_MAX_REQUEST_BYTES, 1024, 1L << 32),
        json.containsKey("pools") ? pools(reader, reader.objects("pools")) : DEFAULT_POOLS,
        reader.integer("poolMemoryPercent", Math.round(PoolMemory.DEFAULT_SHARE * 100), 0, 90) / 100.0,
        reader.integer("poolShrinkPressure", Math.round(PoolMemory.DEFAULT_SHRINK_PRESSURE), 0, 100),
        reader.string("pressureDir", DEFAULT_PRESSURE_DIR),
        reader.integer("imageCacheBytes", dev.phantom.zygote.image.CacheLimit.DEFAULT_MAX_BYTES, 0, 1L << 50),
        reader.integer("imagePrepareWaitMs", DEFAULT_IMAGE_PREPARE_WAIT_MS, 0, 600_000),
        (int) reader.integer("launchers", DEFAULT_LAUNCHERS, 0, 256));
    if (!config.pressureDir().startsWith("/")) {
      reader.problem("pressureDir must be an absolute path: " + config.pressureDir());
    }
    if (config.stateDir().isPresent() && !config.stateDir().get().startsWith("/")) {
      reader.problem("stateDir must be an absolute path: " + config.stateDir().get());
    }
    if (!CGROUP_MODES.contains(config.cgroups())) {
      reader.problem("cgroups must be one of " + CGROUP_MODES + ": " + config.cgroups());
    }
    reader.validate();
    return config;
  }

  private static List<PoolSetting> pools(ConfigReader reader, List<JsonObject> entries) {
    java.util.List<PoolSetting> out = new java.util.ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < entries.size(); i++) {
      JsonObject entry = entries.get(i);
      String where = "pools[" + i + "]";
      for (String key : entry.fieldNames()) {
        if (!List.of("profile", "size", "agent").contains(key)) {
          reader.problem(where + ": unknown key '" + key + "' (known: profile, size, agent)");
        }
      }
      Object profile = entry.getValue("profile");
      Object size = entry.getValue("size");
      Object agent = entry.getValue("agent", "");
      if (!(profile instanceof String name) || name.isBlank()) {
        reader.problem(where + ".profile must be a profile name");
        continue;
      }
      if (!(size instanceof Number n) || n.longValue() < 0 || n.longValue() > 10_000 || n.doubleValue() != n.longValue()) {
        reader.problem(where + ".size must be an integer from 0 to 10000, got " + size);
        continue;
      }
      SlotAgent kind = String.valueOf(agent).isEmpty() ? SlotAgent.forProfile(name)
          : SlotAgent.named(String.valueOf(agent)).orElse(null);
      if (kind == null) {
        reader.problem(where + ".agent must be shell, python or node, got " + agent);
      }
      if (!seen.add(name)) {
        reader.problem(where + ": profile " + name + " has two pools");
      }
      if (kind != null) {
        out.add(new PoolSetting(name, n.intValue(), kind));
      }
    }
    return List.copyOf(out);
  }
}
