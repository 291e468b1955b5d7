package dev.phantom.store.core;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One directory of a manifest: its entries sorted by name (UTF-8 bytes, unsigned), names unique.
 * {@link #encode()} is the canonical form (docs/fragment-store.md, "Tree encoding") and
 * {@link #digest()} its SHA-256: a directory's digest covers everything below it, so the root's
 * digest names the image. {@link #decode} accepts only canonical bytes, so decoding and encoding
 * again always gives the same digest.
 */
public record Tree(List<Entry> entries) {

  static final byte[] MAGIC = {'P', 'F', 'T', '1'};
  static final int FILE = 1;
  static final int DIR = 2;
  static final int SYMLINK = 3;
  static final int HARDLINK = 4;
  /** Entries one directory may hold; a bound for decoding untrusted bytes. */
  public static final int MAX_ENTRIES = 1 << 20;

  public static final Tree EMPTY = new Tree(List.of());

  public Tree {
    List<Entry> sorted = new ArrayList<>(entries);
    sorted.sort((a, b) -> compareNames(a.name(), b.name()));
    for (int i = 0; i < sorted.size(); i++) {
      String name = sorted.get(i).name();
      String problem = PathRules.nameProblem(name);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
      if (i > 0 && sorted.get(i - 1).name().equals(name)) {
        throw new IllegalArgumentException("name '" + name + "' appears twice in one directory");
      }
    }
    entries = List.copyOf(sorted);
  }

  static int compareNames(String a, String b) {
    return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  public Digest digest() {
    return Digest.of(encode());
  }

  public byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + entries.size() * 96);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(MAGIC);
      out.writeInt(entries.size());
      for (Entry e : entries) {
        out.writeByte(switch (e) {
          case Entry.File f -> FILE;
          case Entry.Dir d -> DIR;
          case Entry.Symlink s -> SYMLINK;
          case Entry.Hardlink h -> HARDLINK;
        });
        writeString16(out, e.name());
        Meta m = e.meta();
        out.writeInt(m.mode());
        out.writeInt(m.uid());
        out.writeInt(m.gid());
        out.writeLong(m.mtime());
        out.writeShort(m.xattrs().size());
        for (Xattr x : m.xattrs()) {
          writeString16(out, x.name());
          byte[] v = x.value();
          out.writeInt(v.length);
          out.write(v);
        }
        switch (e) {
          case Entry.File f -> {
            out.writeLong(f.size());
            out.writeInt(f.chunks().size());
            for (Entry.ChunkRef c : f.chunks()) {
              out.write(c.digest().toBytes());
              out.writeInt(c.length());
            }
          }
          case Entry.Dir d -> out.write(d.tree().toBytes());
          case Entry.Symlink s -> writeString16(out, s.target());
          case Entry.Hardlink h -> writeString16(out, h.target());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return bytes.toByteArray();
  }

  /** Reads canonical bytes; anything else (wrong order, trailing bytes, bad names) is refused. */
  public static Tree decode(byte[] bytes) {
    ByteBuffer in = ByteBuffer.wrap(bytes);
    try {
      byte[] magic = new byte[4];
      in.get(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw new IllegalArgumentException("not a tree (magic " + Arrays.toString(magic) + ")");
      }
      int count = in.getInt();
      if (count < 0 || count > MAX_ENTRIES) {
        throw new IllegalArgumentException("tree of " + count + " entries");
      }
      List<Entry> entries = new ArrayList<>(Math.min(count, 4096));
      for (int i = 0; i < count; i++) {
        int kind = in.get();
        String name = readString16(in);
        int mode = in.getInt();
        int uid = in.getInt();
        int gid = in.getInt();
        long mtime = in.getLong();
        int nx = Short.toUnsignedInt(in.getShort());
        List<Xattr> xattrs = new ArrayList<>(nx);
        for (int x = 0; x < nx; x++) {
          String xname = readString16(in);
          int len = in.getInt();
          if (len < 0 || len > Xattr.MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("xattr value of " + len + " bytes");
          }
          byte[] v = new byte[len];
          in.get(v);
          xattrs.add(new Xattr(xname, v));
        }
        Meta meta = new Meta(mode, uid, gid, mtime, xattrs);
        entries.add(switch (kind) {
          case FILE -> {
            long size = in.getLong();
            int n = in.getInt();
            if (n < 0 || n > in.remaining() / (Digest.BYTES + 4)) {
              throw new IllegalArgumentException("file " + name + " of " + n + " chunks");
            }
            List<Entry.ChunkRef> chunks = new ArrayList<>(n);
            for (int c = 0; c < n; c++) {
              byte[] d = new byte[Digest.BYTES];
              in.get(d);
              chunks.add(new Entry.ChunkRef(Digest.fromBytes(d), in.getInt()));
            }
            yield new Entry.File(name, meta, size, chunks);
          }
          case DIR -> {
            byte[] d = new byte[Digest.BYTES];
            in.get(d);
            yield new Entry.Dir(name, meta, Digest.fromBytes(d));
          }
          case SYMLINK -> new Entry.Symlink(name, meta, readString16(in));
          case HARDLINK -> new Entry.Hardlink(name, meta, readString16(in));
          default -> throw new IllegalArgumentException("entry " + name + " of unknown kind " + kind);
        });
      }
      if (in.hasRemaining()) {
        throw new IllegalArgumentException(in.remaining() + " bytes after the last entry");
      }
      Tree tree = new Tree(entries);
      if (!tree.entries().equals(entries) || !Arrays.equals(tree.encode(), bytes)) {
        throw new IllegalArgumentException("tree is not in canonical form");
      }
      return tree;
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("tree is truncated");
    }
  }

  private static void writeString16(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > 0xffff) {
      throw new IllegalArgumentException("string of " + b.length + " bytes in a tree");
    }
    out.writeShort(b.length);
    out.write(b);
  }

  private static String readString16(ByteBuffer in) {
    byte[] b = new byte[Short.toUnsignedInt(in.getShort())];
    in.get(b);
    return new String(b, StandardCharsets.UTF_8);
  }
}
