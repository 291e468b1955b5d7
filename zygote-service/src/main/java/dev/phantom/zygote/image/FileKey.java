package dev.phantom.zygote.image;

import dev.phantom.store.core.Digest;
import dev.phantom.store.core.Entry;
import dev.phantom.store.core.Xattr;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The name of one materialized file in the node cache's {@code files/}: its content (size and chunk list,
 * hashed) and everything an inode shares between its names (mode, owner, xattrs). Two entries with the
 * same key, in one image or in two, become one inode: the page cache holds their bytes once. The
 * modification time is not part of it (the first materialization's time wins): hard links cannot differ
 * there, and keeping it would defeat sharing between image versions.
 */
record FileKey(String name, Entry.File file, int mode, int uid, int gid, List<Xattr> xattrs) {

  static FileKey of(Entry.File file, int uid, int gid) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + file.chunks().size() * 36);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeLong(file.size());
      for (Entry.ChunkRef c : file.chunks()) {
        out.write(c.digest().toBytes());
        out.writeInt(c.length());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String content = Digest.of(bytes.toByteArray()).hex();
    StringBuilder name = new StringBuilder(content.length() + 32).append(content).append('-')
        .append(Integer.toOctalString(file.meta().mode())).append('-').append(uid).append('-').append(gid);
    List<Xattr> xattrs = file.meta().xattrs();
    if (!xattrs.isEmpty()) {
      ByteArrayOutputStream x = new ByteArrayOutputStream();
      for (Xattr xattr : xattrs) {
        x.writeBytes(xattr.name().getBytes(StandardCharsets.UTF_8));
        x.write(0);
        x.writeBytes(Integer.toString(xattr.value().length).getBytes(StandardCharsets.US_ASCII));
        x.write(0);
        x.writeBytes(xattr.value());
      }
      name.append("-x").append(Digest.of(x.toByteArray()).shortHex());
    }
    return new FileKey(name.toString(), file, file.meta().mode(), uid, gid, xattrs);
  }

  /** {@code files/<first two hex digits>/<name>}, so no directory grows past a few thousand names. */
  String relativePath() {
    return name.substring(0, 2) + "/" + name;
  }
}
