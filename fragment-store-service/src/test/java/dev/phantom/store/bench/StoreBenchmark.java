package dev.phantom.store.bench;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.github.luben.zstd.Zstd;
import dev.phantom.store.CompressOnlyStore;
import dev.phantom.store.FragmentStore;
import dev.phantom.store.StoreMetrics;
import dev.phantom.store.StoreOptions;
import dev.phantom.store.StoreStats;
import dev.phantom.store.core.ChunkingParams;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.FastCdc;
import dev.phantom.store.fs.TestClock;
import dev.phantom.store.fs.ZstdFrames;
import dev.phantom.store.ingest.ImportResult;
import dev.phantom.store.ingest.Importer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;
import org.apache.commons.codec.digest.Blake3;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Figures for the store, each next to a baseline measured in the same run. Not a pass/fail test: run
 * with {@code -Dphantom.bench=true} (README "Figures" has the command). Input directories can be
 * changed with {@code -Dphantom.bench.input=DIR,DIR} and the dedup pair with
 * {@code -Dphantom.bench.base=DIR,...} and {@code -Dphantom.bench.extra=DIR,...}.
 */
class StoreBenchmark {

  static final long MAX_INPUT = 512L << 20;
  static final int ROUNDS = 3;
  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
  /** Best MB per CPU-second of this process in the last {@link #best} or {@link #importMbs}. */
  private static double lastCpuMbs;

  @TempDir
  Path tmp;

  @Test
  void ingestThroughputPerStage() throws Exception {
    assumeTrue(Boolean.getBoolean("phantom.bench"), "benchmark: run with -Dphantom.bench=true");
    List<Path> dirs = paths(System.getProperty("phantom.bench.input", "/usr/share,/usr/lib/python3.11"));
    List<byte[]> files = readFiles(dirs, MAX_INPUT);
    long total = files.stream().mapToLong(f -> f.length).sum();
    int cores = Runtime.getRuntime().availableProcessors();
    System.out.printf(Locale.ROOT, "%nIngest of %d files, %.1f MiB (the first files of %s, up to 512 MiB), in memory;"
        + " %d cores; best of %d%n",
        files.size(), total / 1048576.0, dirs, cores, ROUNDS);
    FastCdc cdc = new FastCdc(ChunkingParams.DEFAULTS);
    List<int[]> chunks = new ArrayList<>(); // file index, offset, length
    double chunkMbs = best(total, () -> {
      chunks.clear();
      for (int i = 0; i < files.size(); i++) {
        byte[] f = files.get(i);
        for (int off = 0; off < f.length; ) {
          int n = cdc.cut(f, off, f.length - off);
          chunks.add(new int[] {i, off, n});
          off += n;
        }
      }
    });
    double shaMbs = best(total, () -> chunks.forEach(c -> Digest.of(files.get(c[0]), c[1], c[2])));
    double blake3Mbs = best(total, () -> chunks.forEach(c -> {
      Blake3 b = Blake3.initHash();
      b.update(files.get(c[0]), c[1], c[2]);
      b.doFinalize(32);
    }));
    long[] compressed = new long[1];
    double zstdMbs = best(total, () -> {
      compressed[0] = 0;
      for (int[] c : chunks) {
        compressed[0] += ZstdFrames.compress(files.get(c[0]), c[1], c[2], StoreOptions.DEFAULT_ZSTD_LEVEL).length;
      }
    });
    double zstdFreshMbs = best(total, () -> {
      byte[] out = new byte[(int) Zstd.compressBound(ChunkingParams.DEFAULT_MAX)];
      for (int[] c : chunks) {
        Zstd.compressByteArray(out, 0, out.length, files.get(c[0]), c[1], c[2], StoreOptions.DEFAULT_ZSTD_LEVEL);
      }
    });
    List<String> levels = new ArrayList<>();
    for (int level : new int[] {-3, -1, 3}) {
      long[] size = new long[1];
      double mbs = best(total, () -> {
        size[0] = 0;
        for (int[] c : chunks) {
          size[0] += ZstdFrames.compress(files.get(c[0]), c[1], c[2], level).length;
        }
      });
      levels.add(String.format(Locale.ROOT, "  %-64s %8.0f", "  zstd level " + level + " instead (1), ratio "
          + String.format(Locale.ROOT, "%.2f", (double) total / size[0]), mbs));
    }
    ExecutorService workers = Executors.newFixedThreadPool(cores);
    double pipelineMbs;
    double pipelineCpu;
    try {
      pipelineMbs = best(total, () -> pipeline(files, cdc, workers, cores));
      pipelineCpu = lastCpuMbs;
    } finally {
      workers.shutdownNow();
    }
    double wholeZstdMbs = best(total, () -> {
      for (byte[] f : files) {
        ZstdFrames.compress(f, 0, f.length, StoreOptions.DEFAULT_ZSTD_LEVEL);
      }
    });
    System.out.printf(Locale.ROOT, "  %-52s %8s%n", "stage (threads)", "MB/s");
    row("FastCDC chunking (1), " + chunks.size() + " chunks, mean " + total / chunks.size() / 1024 + " KiB", chunkMbs);
    row("SHA-256 of the chunks (1)  [chosen]", shaMbs);
    row("BLAKE3, commons-codec (1)  [for comparison]", blake3Mbs);
    row("zstd level " + StoreOptions.DEFAULT_ZSTD_LEVEL + " of the chunks (1), ratio "
        + String.format(Locale.ROOT, "%.2f", (double) total / compressed[0]), zstdMbs);
    levels.forEach(System.out::println);
    row("  a new zstd context per chunk instead (1), as Zstd.compress does", zstdFreshMbs);
    rowCpu("chunk+hash+compress, the import pipeline (" + cores + " cores)", pipelineMbs, pipelineCpu);
    row("baseline: zstd level " + StoreOptions.DEFAULT_ZSTD_LEVEL + " of whole files, no chunking (1)", wholeZstdMbs);
    row("baseline: 1 / (sum of the 1-thread stage costs)", 1 / (1 / chunkMbs + 1 / shaMbs + 1 / zstdMbs));

    // End to end from a tar in the page cache: tar parsing, the pipeline, and writing files.
    Path tar = tmp.resolve("input.tar");
    long tarBytes = tarOf(dirs, tar);
    double tarZstd = timeShell("tar -C / -cf - " + String.join(" ", dirs.stream().map(d -> "'" + d.toString().substring(1)
        + "'").toList()) + " | zstd -1 -T0 -q -c > /dev/null", tarBytes);
    // The real Importer, from the tar through chunking, hashing and compressing, with nothing written.
    double compressOnly = importMbs(tmp.resolve("compress-only"), tar, tarBytes, 3,
        dir -> CompressOnlyStore.open(dir, StoreOptions.defaults()));
    rowCpu("import of the tar, chunk+hash+compress, no files (" + cores + ")", compressOnly, lastCpuMbs);
    // On tmpfs first: the same code without this disk's cost of creating a file (about 0.8 ms of CPU per
    // create on the ext4 of the machine these figures come from, against 16 us on tmpfs), which is what
    // bounds the rows on disk.
    Path shm = Path.of("/dev/shm");
    if (Files.isDirectory(shm) && Files.isWritable(shm)) {
      Path base = Files.createTempDirectory(shm, "phantom-bench");
      try {
        double mbs = importMbs(base, tar, tarBytes, false, 3);
        rowCpu("import of the tar into a store on tmpfs, fsync off (" + cores + ")", mbs, lastCpuMbs);
      } finally {
        deleteTree(base);
      }
    }
    for (boolean fsync : new boolean[] {false, true}) {
      double mbs = importMbs(tmp, tar, tarBytes, fsync, fsync ? 1 : 2);
      rowCpu("import of the tar into a store on disk, fsync " + (fsync ? "on" : "off") + " (" + cores + ")", mbs,
          lastCpuMbs);
    }
    row("baseline: tar | zstd -1 -T0 of the same directories", tarZstd);
    System.out.println("  (MB = 10^6 bytes. The host is shared: figures vary with other load; rerun to compare.)");
  }

  @Test
  void dedupOfTwoVersionsOfATree() throws Exception {
    assumeTrue(Boolean.getBoolean("phantom.bench"), "benchmark: run with -Dphantom.bench=true");
    List<Path> base = paths(System.getProperty("phantom.bench.base", "/usr/share"));
    List<Path> extra = paths(System.getProperty("phantom.bench.extra", "/usr/lib/python3.11,/usr/lib/python3"));
    Path v1 = tmp.resolve("v1");
    Path v2 = tmp.resolve("v2");
    for (Path d : base) {
      copyTree(d, v1.resolve(d.toString().substring(1)));
      copyTree(d, v2.resolve(d.toString().substring(1)));
    }
    for (Path d : extra) {
      copyTree(d, v2.resolve(d.toString().substring(1)));
    }
    System.out.printf(Locale.ROOT, "%nDedup: v1 = %s, v2 = v1 + %s (hardlinked copies of this host's files)%n", base,
        extra);
    try (FragmentStore store = FragmentStore.open(tmp.resolve("store"), StoreOptions.defaults().withFsync(false),
        TestClock.realNow(), StoreMetrics.none())) {
      ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
      try {
        Importer importer = new Importer(store, pool, "x86_64");
        ImportResult r1 = importer.importPath(v1, "v:1");
        StoreStats after1 = store.stats();
        ImportResult r2 = importer.importPath(v2, "v:2");
        StoreStats after2 = store.stats();
        long z1 = tarZstdBytes(v1);
        long z2 = tarZstdBytes(v2);
        System.out.printf(Locale.ROOT, "  %-34s %12s %12s %12s%n", "", "v1", "v2", "v1 + v2");
        System.out.printf(Locale.ROOT, "  %-34s %12s %12s %12s%n", "logical (file bytes)", mib(r1.logicalBytes()),
            mib(r2.logicalBytes()), mib(r1.logicalBytes() + r2.logicalBytes()));
        System.out.printf(Locale.ROOT, "  %-34s %12s %12s %12s%n", "store: stored on disk (cumulative)",
            mib(after1.storedBytes()), "+" + mib(after2.storedBytes() - after1.storedBytes()), mib(after2.storedBytes()));
        System.out.printf(Locale.ROOT, "  %-34s %12s %12s %12s%n", "baseline: tar | zstd -3 -T0", mib(z1), mib(z2),
            mib(z1 + z2));
        System.out.printf(Locale.ROOT, "  %-34s %12s %12s %12s%n", "new chunks / chunks", r1.newChunks() + "/" + r1.chunks(),
            r2.newChunks() + "/" + r2.chunks(), "");
        System.out.printf(Locale.ROOT, "  dedup ratio (logical / unique) %.2fx; logical / stored %.2fx; tar|zstd of"
            + " both / store %.2fx%n", after2.dedupRatio(), after2.savingsRatio(),
            (double) (z1 + z2) / after2.storedBytes());
      } finally {
        pool.shutdownNow();
      }
    }
    // Removed here rather than by JUnit, which warns about every absolute symlink of the copies.
    deleteTree(v1);
    deleteTree(v2);
  }

  /** Best of {@code rounds} imports of the tar into a fresh store under {@code base}, in MB/s of tar. */
  private static double importMbs(Path base, Path tar, long tarBytes, boolean fsync, int rounds) throws IOException {
    return importMbs(base, tar, tarBytes, rounds,
        dir -> FragmentStore.open(dir, StoreOptions.defaults().withFsync(fsync), TestClock.realNow(), StoreMetrics.none()));
  }

  private static double importMbs(Path base, Path tar, long tarBytes, int rounds,
      java.util.function.Function<Path, FragmentStore> open) throws IOException {
    int cores = Runtime.getRuntime().availableProcessors();
    double best = 0;
    double bestCpu = 0;
    for (int r = 0; r < rounds; r++) {
      Path dir = base.resolve("store-" + r);
      try (FragmentStore store = open.apply(dir)) {
        ExecutorService pool = Executors.newFixedThreadPool(cores);
        try {
          // The whole call: took() leaves out recognizing the archive's kind, which reads its headers.
          long t = System.nanoTime();
          long cpu = OS.getProcessCpuTime();
          new Importer(store, pool, "x86_64").importPath(tar, "bench");
          best = Math.max(best, tarBytes / 1e6 / ((System.nanoTime() - t) / 1e9));
          bestCpu = Math.max(bestCpu, tarBytes / 1e6 / ((OS.getProcessCpuTime() - cpu) / 1e9));
        } finally {
          pool.shutdownNow();
        }
      }
      deleteTree(dir);
    }
    lastCpuMbs = bestCpu;
    return best;
  }

  private static void pipeline(List<byte[]> files, FastCdc cdc, ExecutorService workers, int inFlight) {
    Semaphore permits = new Semaphore(inFlight * 4);
    List<Future<?>> pending = new ArrayList<>();
    for (byte[] f : files) {
      for (int off = 0; off < f.length; ) {
        int n = cdc.cut(f, off, f.length - off);
        int start = off;
        Digest.of(f, start, n);
        permits.acquireUninterruptibly();
        pending.add(workers.submit(() -> {
          try {
            // As Ingest does: the reader's copy of the chunk, compressed into the worker's scratch buffer.
            byte[] copy = java.util.Arrays.copyOfRange(f, start, start + n);
            ZstdFrames.compressToScratch(copy, 0, n, StoreOptions.DEFAULT_ZSTD_LEVEL);
          } finally {
            permits.release();
          }
        }));
        off += n;
      }
    }
    for (Future<?> p : pending) {
      try {
        p.get();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  private static double best(long bytes, Runnable work) {
    double best = 0;
    double bestCpu = 0;
    for (int r = 0; r < ROUNDS; r++) {
      long t = System.nanoTime();
      long cpu = OS.getProcessCpuTime();
      work.run();
      best = Math.max(best, bytes / 1e6 / ((System.nanoTime() - t) / 1e9));
      bestCpu = Math.max(bestCpu, bytes / 1e6 / ((OS.getProcessCpuTime() - cpu) / 1e9));
    }
    lastCpuMbs = bestCpu;
    return best;
  }

  private static void row(String what, double mbs) {
    System.out.printf(Locale.ROOT, "  %-64s %8.0f%n", what, mbs);
  }

  /** With MB per CPU-second of this process, which other load on a shared host moves far less than MB/s. */
  private static void rowCpu(String what, double mbs, double cpuMbs) {
    System.out.printf(Locale.ROOT, "  %-64s %8.0f   %4.0f per CPU-s (x%d cores = %4.0f)%n", what, mbs, cpuMbs,
        Runtime.getRuntime().availableProcessors(), cpuMbs * Runtime.getRuntime().availableProcessors());
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  private static List<Path> paths(String csv) {
    return Stream.of(csv.split(",")).map(String::strip).filter(s -> !s.isEmpty()).map(Path::of)
        .filter(Files::isDirectory).toList();
  }

  private static List<byte[]> readFiles(List<Path> dirs, long max) throws IOException {
    List<byte[]> out = new ArrayList<>();
    long[] total = {0};
    for (Path dir : dirs) {
      try (Stream<Path> walk = Files.walk(dir)) {
        for (Path p : walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).toList()) {
          if (total[0] >= max) {
            return out;
          }
          try {
            byte[] b = Files.readAllBytes(p);
            out.add(b);
            total[0] += b.length;
          } catch (IOException unreadable) {
            // skipped
          }
        }
      }
    }
    return out;
  }

  private static long tarOf(List<Path> dirs, Path tar) throws Exception {
    List<String> argv = new ArrayList<>(List.of("tar", "-C", "/", "-cf", tar.toString()));
    dirs.forEach(d -> argv.add(d.toString().substring(1)));
    run(argv);
    return Files.size(tar);
  }

  private static double timeShell(String command, long bytes) throws Exception {
    double best = 0;
    for (int r = 0; r < 2; r++) {
      long t = System.nanoTime();
      run(List.of("sh", "-c", command));
      best = Math.max(best, bytes / 1e6 / ((System.nanoTime() - t) / 1e9));
    }
    return best;
  }

  private static long tarZstdBytes(Path dir) throws Exception {
    Process p = new ProcessBuilder("sh", "-c", "tar -C '" + dir + "' -cf - . | zstd -3 -T0 -q -c | wc -c")
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(p.getInputStream().readAllBytes()).strip();
    p.waitFor();
    return Long.parseLong(out);
  }

  /** A copy whose files are hardlinks to the originals (same file system here), else a plain copy. */
  private static void copyTree(Path from, Path to) throws Exception {
    Files.createDirectories(to.getParent());
    Process p = new ProcessBuilder("cp", "-al", from.toString(), to.toString()).redirectErrorStream(true).start();
    p.getInputStream().readAllBytes();
    if (p.waitFor() != 0) {
      deleteTree(to);
      run(List.of("cp", "-a", from.toString(), to.toString()));
    }
  }

  private static void run(List<String> argv) throws Exception {
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0 && !out.contains("socket ignored")) {
      throw new IllegalStateException(argv + ": " + out);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
