package dev.phantom.store.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.store.FragmentStore;
import dev.phantom.store.StoreMetrics;
import dev.phantom.store.StoreOptions;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.Entry;
import dev.phantom.store.core.StoreException;
import dev.phantom.store.core.Tree;
import dev.phantom.store.fs.TestClock;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImporterTest {

  @TempDir
  Path dir;
  FragmentStore store;
  ExecutorService workers;
  Importer importer;

  @BeforeEach
  void open() {
    store = FragmentStore.open(dir.resolve("store"), StoreOptions.defaults(), TestClock.realNow(), StoreMetrics.none());
    workers = Executors.newFixedThreadPool(2);
    importer = new Importer(store, workers, "x86_64");
  }

  @AfterEach
  void close() {
    workers.shutdownNow();
    store.close();
  }

  /** The entry at a path of an imported manifest, or null. */
  Entry at(Digest root, String path) {
    Tree tree = store.tree(root);
    Entry found = null;
    for (String part : path.split("/")) {
      found = tree.entries().stream().filter(e -> e.name().equals(part)).findFirst().orElse(null);
      if (found == null) {
        return null;
      }
      if (found instanceof Entry.Dir d) {
        tree = store.tree(d.tree());
      }
    }
    return found;
  }

  String content(Digest root, String path) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Entry.ChunkRef c : ((Entry.File) at(root, path)).chunks()) {
      out.writeBytes(store.getChunk(c.digest()));
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  Path write(String name, byte[] bytes) throws Exception {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  @Test
  void aRootFilesystemTarIsImportedWithItsLinksAndModes() throws Exception {
    byte[] big = new byte[1 << 20];
    new Random(1).nextBytes(big);
    byte[] tar = new Tars().dir("./").dir("./usr/bin").file("./usr/bin/tool", big, 04755)
        .hardlink("./usr/bin/tool2", "./usr/bin/tool").symlink("./bin", "usr/bin")
        .symlink("./usr/bin/python", "/usr/bin/python3").file("./etc/hostname", "box\n").bytes();
    ImportResult result = importer.importPath(write("rootfs.tar", tar), "base");
    assertThat(result.tag()).isEqualTo("base:latest");
    assertThat(result.format()).isEqualTo("tar");
    assertThat(result.files()).isEqualTo(3);
    assertThat(result.logicalBytes()).isEqualTo(big.length + 4);
    assertThat(result.chunks()).isGreaterThan(2);
    assertThat(store.resolveTag("base")).isEqualTo(result.manifest());
    Digest root = result.manifest();
    assertThat(at(root, "usr/bin/tool").meta().mode()).isEqualTo(04755);
    assertThat(at(root, "usr/bin/tool").meta().uid()).isEqualTo(1000);
    assertThat(at(root, "usr/bin/tool2")).isInstanceOfSatisfying(Entry.Hardlink.class,
        h -> assertThat(h.target()).isEqualTo("usr/bin/tool"));
    assertThat(at(root, "bin")).isInstanceOfSatisfying(Entry.Symlink.class,
        s -> assertThat(s.target()).isEqualTo("usr/bin"));
    assertThat(content(root, "etc/hostname")).isEqualTo("box\n");

    // The same archive gzipped names the same manifest and stores nothing new.
    ImportResult again = importer.importPath(write("rootfs.tar.gz", new Tars().dir("./").dir("./usr/bin")
        .file("./usr/bin/tool", big, 04755).hardlink("./usr/bin/tool2", "./usr/bin/tool").symlink("./bin", "usr/bin")
        .symlink("./usr/bin/python", "/usr/bin/python3").file("./etc/hostname", "box\n").gzipped()), "base:gz");
    assertThat(again.manifest()).isEqualTo(root);
    assertThat(again.newChunks()).isZero();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "dotdot|'..'",
      "absolute|absolute path",
      "hardlink-out|points outside the root",
      "symlink-out|outside the root",
      "through-symlink|is a symlink",
      "device|device node",
      "fifo|FIFO",
  })
  void escapingAndSpecialEntriesAreRefusedNamingTheEntry(String kind, String reason) throws Exception {
    Tars tars = new Tars().file("ok", "fine");
    String entry = switch (kind) {
      case "dotdot" -> { tars.file("../evil", "x"); yield "../evil"; }
      case "absolute" -> { tars.file("/etc/evil", "x"); yield "/etc/evil"; }
      case "hardlink-out" -> { tars.hardlink("link", "../../etc/shadow"); yield "link"; }
      case "symlink-out" -> { tars.symlink("lib", "../../etc"); yield "lib"; }
      case "through-symlink" -> { tars.symlink("etc", "/etc"); tars.file("etc/cron.d/evil", "x"); yield "etc/cron.d/evil"; }
      case "device" -> { tars.charDevice("dev/null"); yield "dev/null"; }
      case "fifo" -> { tars.fifo("pipe"); yield "pipe"; }
      default -> throw new IllegalArgumentException(kind);
    };
    Path archive = write(kind + ".tar", tars.bytes());
    assertThatThrownBy(() -> importer.importPath(archive, "evil")).isInstanceOfSatisfying(StoreException.class, e -> {
      assertThat(e.reason()).isEqualTo(StoreException.Reason.INVALID);
      assertThat(e.getMessage()).contains("entry '" + entry + "'").contains(reason);
    });
    assertThat(store.listTags()).isEmpty();
    try (var files = Files.walk(dir)) {
      assertThat(files.filter(p -> p.getFileName().toString().contains("evil")).toList())
          .allMatch(p -> p.getFileName().toString().endsWith(".tar"));
    }
  }

  @Test
  void garbageIsNotATar() throws Exception {
    byte[] junk = new byte[10_000];
    new Random(2).nextBytes(junk);
    assertThatThrownBy(() -> importer.importPath(write("junk.tar", junk), "junk"))
        .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.INVALID));
    // Shorter than one tar block: read as an empty archive by commons-compress.
    assertThatThrownBy(() -> importer.importPath(write("hostname", "box\n".getBytes(StandardCharsets.UTF_8)), "short"))
        .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.getMessage()).contains("no entries"));
    assertThat(store.listTags()).isEmpty();
  }

  @Test
  void anOciLayoutAppliesLayersInOrderWithWhiteouts() throws Exception {
    byte[] lower = new Tars().file("etc/a", "a1").file("etc/b", "b1").file("var/cache/old", "o").file("bin/sh", "sh")
        .hardlink("bin/sh2", "bin/sh").bytes();
    byte[] upper = new Tars().file("etc/.wh.a", "").file("etc/b", "b2").file("var/cache/.wh..wh..opq", "")
        .file("var/cache/new", "n").file("bin/.wh.sh", "").gzipped();
    Path layout = OciLayouts.write(dir.resolve("oci"), List.of(lower, upper));
    ImportResult result = importer.importPath(layout, "layered:1");
    assertThat(result.format()).isEqualTo("oci");
    assertThat(result.layers()).isEqualTo(2);
    Digest root = result.manifest();
    assertThat(at(root, "etc/a")).isNull();
    assertThat(content(root, "etc/b")).isEqualTo("b2");
    assertThat(at(root, "var/cache/old")).isNull();
    assertThat(content(root, "var/cache/new")).isEqualTo("n");
    assertThat(at(root, "bin/sh")).isNull();
    assertThat(content(root, "bin/sh2")).isEqualTo("sh"); // its first name is gone; the content stays

    // The same layout as one tar archive.
    Path asTar = write("oci.tar", OciLayouts.tarOf(layout));
    assertThat(importer.importPath(asTar, "layered:2").manifest()).isEqualTo(root);
  }

  @Test
  void aLayerThatDoesNotMatchItsDigestIsRefused() throws Exception {
    Path layout = OciLayouts.write(dir.resolve("oci"), List.of(new Tars().file("a", "1").bytes()));
    try (var blobs = Files.list(layout.resolve("blobs/sha256"))) {
      for (Path blob : blobs.toList()) {
        if (Files.size(blob) > 1000) { // the layer, not the JSON
          byte[] b = Files.readAllBytes(blob);
          b[600] ^= 1;
          Files.write(blob, b);
        }
      }
    }
    assertThatThrownBy(() -> importer.importPath(layout, "bad")).hasMessageContaining("does not match its digest");
  }

  @Test
  void aHostDirectoryIsImportedAsItIs() throws Exception {
    Path src = Files.createDirectories(dir.resolve("src/sub"));
    Files.writeString(src.resolve("f.txt"), "hello");
    Files.createLink(src.resolve("g.txt"), src.resolve("f.txt"));
    Files.createSymbolicLink(src.resolve("link"), Path.of("f.txt"));
    Files.setPosixFilePermissions(src.resolve("f.txt"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-x---"));
    ImportResult result = importer.importPath(dir.resolve("src"), "fromdir");
    assertThat(result.format()).isEqualTo("directory");
    Digest root = result.manifest();
    assertThat(content(root, "sub/f.txt")).isEqualTo("hello");
    assertThat(at(root, "sub/f.txt").meta().mode()).isEqualTo(0750);
    assertThat(at(root, "sub/g.txt")).isInstanceOf(Entry.Hardlink.class);
    assertThat(at(root, "sub/link")).isInstanceOfSatisfying(Entry.Symlink.class,
        s -> assertThat(s.target()).isEqualTo("f.txt"));
  }

  @Test
  void aFifoInAHostDirectoryIsRefused() throws Exception {
    Path src = Files.createDirectories(dir.resolve("src"));
    Process mkfifo = new ProcessBuilder("mkfifo", src.resolve("pipe").toString()).start();
    assertThat(mkfifo.waitFor()).isZero();
    assertThatThrownBy(() -> importer.importPath(src, "fifo")).isInstanceOfSatisfying(StoreException.class, e -> {
      assertThat(e.reason()).isEqualTo(StoreException.Reason.INVALID);
      assertThat(e.getMessage()).contains("pipe").contains("FIFO");
    });
  }

  @Test
  void concurrentImportsOfTheSameContentAreSafe() throws Exception {
    byte[] big = new byte[3 << 20];
    new Random(4).nextBytes(big);
    Path archive = write("same.tar", new Tars().file("big.bin", big, 0644).file("etc/x", "x").bytes());
    ExecutorService callers = Executors.newFixedThreadPool(6);
    try {
      List<java.util.concurrent.Future<ImportResult>> imports = new java.util.ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String tag = "same:" + i;
        imports.add(callers.submit(() -> importer.importPath(archive, tag)));
      }
      java.util.Set<Digest> manifests = new java.util.HashSet<>();
      for (var f : imports) {
        manifests.add(f.get().manifest());
      }
      assertThat(manifests).hasSize(1);
      Digest root = manifests.iterator().next();
      assertThat(content(root, "etc/x")).isEqualTo("x");
      assertThat(store.listTags()).hasSize(6);
      assertThat(store.stats().chunks()).isEqualTo(((Entry.File) at(root, "big.bin")).chunks().stream()
          .map(Entry.ChunkRef::digest).distinct().count() + 1);
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void aStreamIsSpooledAndImported() throws Exception {
    byte[] tar = new Tars().file("x", "y").bytes();
    ImportResult result = importer.importStream(new ByteArrayInputStream(tar), "streamed");
    assertThat(content(result.manifest(), "x")).isEqualTo("y");
    assertThat(dev.phantom.store.KillNineIT.filesUnder(store.root().resolve("tmp"))).isEmpty();
  }
}
