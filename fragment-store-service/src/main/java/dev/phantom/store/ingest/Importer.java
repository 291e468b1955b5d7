package dev.phantom.store.ingest;

import dev.phantom.store.FragmentStore;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.PathRules;
import dev.phantom.store.core.StoreException;
import dev.phantom.store.core.TagName;
import dev.phantom.store.core.TreeBuilder;
import dev.phantom.store.fs.FsSync;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarFile;

/**
 * Imports root filesystems: a tar archive (plain, gzip or zstd; {@code docker export} output), an OCI
 * image layout or {@code docker save} archive (as a tar or a directory; layers applied in order,
 * whiteouts honoured, layer digests checked), or a plain host directory. The tag is set last, after
 * every chunk and tree is durable, so an import that fails or is killed leaves no tag behind. Blocking.
 */
public final class Importer {

  private final FragmentStore store;
  private final ExecutorService workers;
  private final String arch;

  /** @param arch the architecture to take from a multi-platform image (uname name, e.g. x86_64) */
  public Importer(FragmentStore store, ExecutorService workers, String arch) {
    this.store = store;
    this.workers = workers;
    this.arch = arch;
  }

  /** Imports a file or directory of this host. */
  public ImportResult importPath(Path source, String tag) {
    String name = TagName.parse(tag);
    if (Files.isDirectory(source)) {
      if (Files.isRegularFile(source.resolve("oci-layout")) || Files.isRegularFile(source.resolve("index.json"))) {
        return run(name, "oci", (b, ingest) -> layers(b, ingest, Layout.oci(dirFiles(source), arch), dirFiles(source)));
      }
      if (Files.isRegularFile(source.resolve("manifest.json")) && Files.isDirectory(source.resolve("blobs"))) {
        return run(name, "docker-save", (b, ingest) -> layers(b, ingest, Layout.dockerSave(dirFiles(source)),
            dirFiles(source)));
      }
      return run(name, "directory", (b, ingest) -> {
        DirWalk.apply(source, b, ingest);
        return 0;
      });
    }
    if (!Files.isRegularFile(source)) {
      throw StoreException.invalid(source + ": no such file or directory");
    }
    String kind = imageArchiveKind(source);
    return switch (kind) {
      case "oci" -> run(name, kind, (b, ingest) -> layers(b, ingest, Layout.oci(tarFiles(source), arch), tarFiles(source)));
      case "docker-save" -> run(name, kind, (b, ingest) -> layers(b, ingest, Layout.dockerSave(tarFiles(source)),
          tarFiles(source)));
      default -> run(name, "tar", (b, ingest) -> {
        try (InputStream in = Decompress.open(Files.newInputStream(source))) {
          if (TarEntries.apply(new TarArchiveInputStream(in), b, ingest, false, source.getFileName().toString()) == 0) {
            // commons-compress reads a short file that is no tar as an empty archive; an empty image is of no use.
            throw StoreException.invalid(source.getFileName() + ": no entries; is it a tar archive?");
          }
        }
        return 0;
      });
    };
  }

  /** Imports a tar stream (any format {@link #importPath} reads from a file): spooled to the store's disk first. */
  public ImportResult importStream(InputStream in, String tag) {
    TagName.parse(tag);
    Path spool = store.root().resolve("tmp").resolve("import." + UUID.randomUUID() + ".tar");
    try {
      try {
        Files.copy(in, spool);
      } catch (IOException e) {
        throw FsSync.io("spool the uploaded archive", e);
      }
      return importPath(spool, tag);
    } finally {
      try {
        Files.deleteIfExists(spool);
      } catch (IOException ignored) {
        // tmp is emptied at the next start
      }
    }
  }

  /** Applies the source to the builder; returns the number of layers (0 when not layered). */
  private interface Body {
    int apply(TreeBuilder builder, Ingest ingest) throws IOException;
  }

  private ImportResult run(String tag, String format, Body body) {
    long start = System.nanoTime();
    try (AutoCloseable lease = store.lease()) {
      TreeBuilder builder = new TreeBuilder();
      Ingest ingest = new Ingest(store, workers);
      int layers;
      try {
        layers = body.apply(builder, ingest);
      } catch (IOException e) {
        throw FsSync.io("read the image", e);
      } finally {
        ingest.finish();
      }
      Digest root = builder.build((digest, encoded) -> store.putTree(encoded));
      // Counted by build() over the final tree: files a later layer removed are not in it.
      store.syncTrees();
      store.setTagOfImport(tag, root, builder.bytes());
      return new ImportResult(tag, root, format, layers, builder.files(), builder.bytes(), ingest.chunks(),
          ingest.written(), ingest.storedBytes(), Duration.ofNanos(System.nanoTime() - start));
    } catch (StoreException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw StoreException.invalid(e.getMessage());
    } catch (Exception e) {
      throw new StoreException(StoreException.Reason.IO, "import failed: " + e, e);
    }
  }

  private int layers(TreeBuilder builder, Ingest ingest, List<Layout.Layer> layers, Layout.Files files)
      throws IOException {
    for (Layout.Layer layer : layers) {
      builder.nextLayer();
      MessageDigest sha = sha256();
      try (InputStream blob = files.open(layer.path());
           DigestInputStream counted = new DigestInputStream(blob, sha);
           InputStream tar = Decompress.open(counted)) {
        TarEntries.apply(new TarArchiveInputStream(tar), builder, ingest, true, "layer " + layer.path());
        tar.transferTo(java.io.OutputStream.nullOutputStream());
        counted.transferTo(java.io.OutputStream.nullOutputStream());
      }
      if (!layer.sha256().isEmpty() && !HexFormat.of().formatHex(sha.digest()).equals(layer.sha256())) {
        throw StoreException.invalid("layer " + layer.path() + " does not match its digest");
      }
    }
    return layers.size();
  }

  /** "oci", "docker-save" or "tar": only an uncompressed tar is scanned for an image layout. */
  private static String imageArchiveKind(Path file) {
    try (InputStream raw = Files.newInputStream(file)) {
      if (Decompress.kind(raw.readNBytes(4)) != Decompress.Kind.PLAIN) {
        return "tar";
      }
    } catch (IOException e) {
      throw FsSync.io("read " + file, e);
    }
    if (!startsLikeALayout(file)) {
      return "tar";
    }
    Set<String> top = new HashSet<>();
    // TarFile seeks from header to header: a stream would read (and copy) every file's bytes just to
    // skip them, a whole extra pass over the archive before the import reads it.
    try (TarFile tar = new TarFile(Files.newByteChannel(file))) {
      for (TarArchiveEntry e : tar.getEntries()) {
        top.add(topName(e.getName()));
      }
    } catch (IOException | RuntimeException e) {
      throw StoreException.invalid(file.getFileName() + ": not a readable tar archive: " + e.getMessage());
    }
    if (top.contains("oci-layout") || top.contains("index.json") && top.contains("blobs/")) {
      return "oci";
    }
    if (top.contains("manifest.json") && (top.contains("repositories") || top.contains("blobs/"))) {
      return "docker-save";
    }
    return "tar";
  }

  /**
   * Whether the archive's first entry (past "." itself) has a name found at the top of an image layout
   * or a {@code docker save} archive. A root filesystem starts with {@code bin/}, {@code etc/} and the
   * like and is then known for a tar at once, without reading the headers of its tens of thousands of
   * files (a quarter of a second per 600 MB here); anything else, unreadable archives included, gets
   * the full scan.
   */
  private static boolean startsLikeALayout(Path file) {
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        String top = topName(e.getName());
        if (!top.isEmpty() && !top.equals(".")) {
          return LAYOUT_TOP.matcher(top).matches();
        }
      }
      return true;
    } catch (IOException | RuntimeException e) {
      return true;
    }
  }

  /** Top-level names of OCI layouts and docker save archives (layer directories and configs are digests). */
  private static final java.util.regex.Pattern LAYOUT_TOP =
      java.util.regex.Pattern.compile("oci-layout|index\\.json|manifest\\.json|repositories|blobs/?|[0-9a-f]{64}(\\.json|/)?");

  private static String topName(String name) {
    String n = name.startsWith("./") ? name.substring(2) : name;
    return n.contains("/") ? n.substring(0, n.indexOf('/') + 1) : n;
  }

  private static Layout.Files dirFiles(Path root) {
    return path -> {
      PathRules.entryPath(path);
      try {
        return Files.newInputStream(root.resolve(path));
      } catch (NoSuchFileException e) {
        throw StoreException.invalid("image layout " + root + " has no " + path);
      }
    };
  }

  /** Each open scans the archive to the member: layers are read one after another, so this stays linear per layer. */
  private static Layout.Files tarFiles(Path file) {
    return path -> {
      String want = String.join("/", PathRules.entryPath(path));
      TarArchiveInputStream tar = new TarArchiveInputStream(Files.newInputStream(file));
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        if (e.isFile() && want.equals(cleanName(e.getName()))) {
          return new FilterInputStream(tar) { };
        }
      }
      tar.close();
      throw StoreException.invalid(file.getFileName() + " has no " + path);
    };
  }

  private static String cleanName(String name) {
    try {
      return String.join("/", PathRules.entryPath(name));
    } catch (IllegalArgumentException e) {
      return null; // not a member the layout can name
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
