package dev.phantom.store.ingest;

import dev.phantom.store.core.Meta;
import dev.phantom.store.core.PathRules;
import dev.phantom.store.core.StoreException;
import dev.phantom.store.core.TreeBuilder;
import dev.phantom.store.core.Xattr;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Applies one tar stream (a whole root filesystem, or one layer of an image) to a {@link TreeBuilder}.
 * Every refusal is INVALID and names the entry: paths that leave the root, links pointing out, device
 * nodes, FIFOs and entry types a root filesystem has no use for.
 */
final class TarEntries {

  static final String WHITEOUT = ".wh.";
  static final String OPAQUE = ".wh..wh..opq";
  /** Type flags of regular files: '0', the old NUL form, and '7' (contiguous, read as regular). */
  private static final String REGULAR = "0\u00007";

  private TarEntries() {}

  /**
   * @param layered whether {@code .wh.} names are whiteouts (image layers) or plain names (a root filesystem)
   * @return the entries read (a file that is not a tar at all may read as none)
   */
  static int apply(TarArchiveInputStream tar, TreeBuilder builder, Ingest ingest, boolean layered, String source)
      throws IOException {
    TarArchiveEntry entry;
    int count = 0;
    while ((entry = nextEntry(tar, source)) != null) {
      count++;
      String name = entry.getName();
      try {
        applyOne(tar, entry, builder, ingest, layered);
      } catch (IllegalArgumentException e) {
        throw StoreException.invalid(source + ": entry '" + name + "': " + e.getMessage());
      }
    }
    return count;
  }

  private static TarArchiveEntry nextEntry(TarArchiveInputStream tar, String source) {
    try {
      return tar.getNextEntry();
    } catch (IOException e) {
      throw StoreException.invalid(source + ": not a readable tar archive: " + e.getMessage());
    }
  }

  private static void applyOne(TarArchiveInputStream tar, TarArchiveEntry entry, TreeBuilder builder, Ingest ingest,
      boolean layered) throws IOException {
    List<String> path = PathRules.entryPath(entry.getName());
    if (layered && !path.isEmpty() && path.getLast().startsWith(WHITEOUT)) {
      List<String> parent = path.subList(0, path.size() - 1);
      if (path.getLast().equals(OPAQUE)) {
        builder.clearLowerLayers(parent);
      } else {
        List<String> hidden = new ArrayList<>(parent);
        hidden.add(path.getLast().substring(WHITEOUT.length()));
        PathRules.entryPath(PathRules.join(hidden));
        builder.remove(hidden);
      }
      return;
    }
    if (entry.isCharacterDevice() || entry.isBlockDevice()) {
      throw new IllegalArgumentException("is a device node; images may not contain device nodes");
    }
    if (entry.isFIFO()) {
      throw new IllegalArgumentException("is a FIFO; images may not contain FIFOs");
    }
    if (entry.isSparse()) {
      throw new IllegalArgumentException("is a sparse file, which the store does not read yet");
    }
    Meta meta = meta(entry);
    if (entry.isDirectory()) {
      builder.putDir(path, meta);
    } else if (entry.isSymbolicLink()) {
      builder.putSymlink(path, meta, entry.getLinkName());
    } else if (entry.isLink()) {
      List<String> target;
      try {
        target = PathRules.entryPath(entry.getLinkName());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("hardlink to '" + entry.getLinkName() + "' points outside the root ("
            + e.getMessage() + ")");
      }
      builder.putHardlink(path, target);
    } else if (entry.isFile() && REGULAR.indexOf(entry.getLinkFlag()) >= 0) {
      long size = entry.getSize();
      var refs = ingest.file(tar);
      long read = refs.stream().mapToLong(r -> r.length()).sum();
      if (read != size) {
        throw new IllegalArgumentException("archive ends inside the entry (" + read + " of " + size + " bytes)");
      }
      builder.putFile(path, meta, size, refs);
    } else {
      throw new IllegalArgumentException("has an entry type (" + (char) entry.getLinkFlag()
          + ") a root filesystem has no use for");
    }
  }

  private static Meta meta(TarArchiveEntry entry) {
    long uid = entry.getLongUserId();
    long gid = entry.getLongGroupId();
    if (uid < 0 || uid > Integer.MAX_VALUE || gid < 0 || gid > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("uid or gid out of range: " + uid + ":" + gid);
    }
    return new Meta(entry.getMode() & Meta.MODE_BITS, (int) uid, (int) gid,
        entry.getLastModifiedTime() == null ? 0 : entry.getLastModifiedTime().toInstant().getEpochSecond(),
        xattrs(entry.getExtraPaxHeaders()));
  }

  /** PAX extended attributes: GNU tar's SCHILY.xattr.NAME (text) and libarchive's LIBARCHIVE.xattr.NAME (base64). */
  private static List<Xattr> xattrs(Map<String, String> pax) {
    Map<String, Xattr> out = new java.util.TreeMap<>();
    for (Map.Entry<String, String> h : pax.entrySet()) {
      if (h.getKey().startsWith("SCHILY.xattr.")) {
        String name = h.getKey().substring("SCHILY.xattr.".length());
        out.put(name, new Xattr(name, h.getValue().getBytes(StandardCharsets.UTF_8)));
      }
    }
    for (Map.Entry<String, String> h : pax.entrySet()) {
      if (h.getKey().startsWith("LIBARCHIVE.xattr.")) {
        // Base64 keeps binary values (security.capability) exact, so it wins over the text form.
        String name = h.getKey().substring("LIBARCHIVE.xattr.".length());
        out.put(name, new Xattr(name, Base64.getDecoder().decode(h.getValue())));
      }
    }
    return List.copyOf(out.values());
  }
}
