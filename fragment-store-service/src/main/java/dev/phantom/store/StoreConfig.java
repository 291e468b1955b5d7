package dev.phantom.store;

import dev.phantom.store.core.ChunkingParams;
import dev.phantom.support.config.ConfigReader;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The store role's configuration (its section of the node configuration).
 *
 * @param dataDir where chunks, trees and tags live; default {@code $PHANTOM_HOME/store}, else
 *     {@code ~/.phantom/store}. One process at a time.
 * @param options chunk sizes ({@code minChunkBytes}, {@code avgChunkBytes}, {@code maxChunkBytes}),
 *     {@code zstdLevel}, {@code gcGraceSeconds}, {@code fsync}, {@code workers}
 * @param importRoots host directories a server-side import may read from; empty (the default) refuses
 *     every server-side path, since the store may run with more rights than its callers
 * @param maxUploadBytes largest tar archive one import may upload
 * @param uploadIdleMs an upload that sends nothing for this long is dropped
 */
public record StoreConfig(Path dataDir, StoreOptions options, List<Path> importRoots, long maxUploadBytes,
    long uploadIdleMs) {

  public static final long DEFAULT_MAX_UPLOAD_BYTES = 32L << 30;
  public static final long DEFAULT_UPLOAD_IDLE_MS = 300_000;

  private static final List<String> KEYS = List.of("dataDir", "minChunkBytes", "avgChunkBytes", "maxChunkBytes",
      "zstdLevel", "gcGraceSeconds", "fsync", "workers", "importRoots", "maxUploadBytes", "uploadIdleMs");

  /** Reads and validates; the exception lists every problem at once. */
  public static StoreConfig from(JsonObject json) {
    ConfigReader reader = new ConfigReader("store", json, KEYS);
    String dataDir = reader.string("dataDir", defaultDataDir().toString());
    int min = (int) reader.integer("minChunkBytes", ChunkingParams.DEFAULT_MIN, ChunkingParams.LOWEST_MIN,
        ChunkingParams.HIGHEST_MAX);
    int avg = (int) reader.integer("avgChunkBytes", ChunkingParams.DEFAULT_AVG, ChunkingParams.LOWEST_MIN,
        ChunkingParams.HIGHEST_MAX);
    int max = (int) reader.integer("maxChunkBytes", ChunkingParams.DEFAULT_MAX, ChunkingParams.LOWEST_MIN,
        ChunkingParams.HIGHEST_MAX);
    int level = (int) reader.integer("zstdLevel", StoreOptions.DEFAULT_ZSTD_LEVEL, -7, 19);
    long grace = reader.integer("gcGraceSeconds", StoreOptions.DEFAULT_GC_GRACE.toSeconds(), 0, 30L * 86_400);
    boolean fsync = reader.bool("fsync", true);
    int workers = (int) reader.integer("workers", StoreOptions.defaultWorkers(), 1, 256);
    List<String> roots = reader.strings("importRoots");
    long maxUpload = reader.integer("maxUploadBytes", DEFAULT_MAX_UPLOAD_BYTES, 1, Long.MAX_VALUE);
    long idle = reader.integer("uploadIdleMs", DEFAULT_UPLOAD_IDLE_MS, 1000, 86_400_000);
    ChunkingParams chunking = null;
    try {
      chunking = new ChunkingParams(min, avg, max);
    } catch (IllegalArgumentException e) {
      reader.problem(e.getMessage());
    }
    if (!dataDir.startsWith("/")) {
      reader.problem("dataDir must be an absolute path: " + dataDir);
    }
    for (String root : roots) {
      if (!root.startsWith("/")) {
        reader.problem("importRoots must be absolute paths: " + root);
      }
    }
    reader.validate();
    return new StoreConfig(Path.of(dataDir),
        new StoreOptions(chunking, level, Duration.ofSeconds(grace), fsync, workers),
        roots.stream().map(Path::of).map(Path::normalize).toList(), maxUpload, idle);
  }

  /** {@code $PHANTOM_HOME/store}, else {@code ~/.phantom/store}. */
  public static Path defaultDataDir() {
    String home = System.getenv("PHANTOM_HOME");
    Path base = home != null && !home.isBlank() ? Path.of(home) : Path.of(System.getProperty("user.home"), ".phantom");
    return base.resolve("store").toAbsolutePath();
  }
}
