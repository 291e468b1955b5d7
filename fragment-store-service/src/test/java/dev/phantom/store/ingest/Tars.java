package dev.phantom.store.ingest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Builds tar archives for tests, including the entries a careful archiver would never write. */
public final class Tars {

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes);

  public Tars() {
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
  }

  public Tars dir(String name) {
    return put(new TarArchiveEntry(name.endsWith("/") ? name : name + "/"), null);
  }

  public Tars file(String name, String content) {
    return file(name, content.getBytes(StandardCharsets.UTF_8), 0644);
  }

  public Tars file(String name, byte[] content, int mode) {
    TarArchiveEntry e = new TarArchiveEntry(name, true);
    e.setSize(content.length);
    e.setMode(0100000 | mode);
    e.setUserId(1000);
    e.setGroupId(1000);
    return put(e, content);
  }

  public Tars symlink(String name, String target) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
    e.setLinkName(target);
    return put(e, null);
  }

  public Tars hardlink(String name, String target) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_LINK, true);
    e.setLinkName(target);
    return put(e, null);
  }

  public Tars charDevice(String name) {
    TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_CHR, true);
    e.setDevMajor(1);
    e.setDevMinor(3);
    return put(e, null);
  }

  public Tars fifo(String name) {
    return put(new TarArchiveEntry(name, TarConstants.LF_FIFO, true), null);
  }

  private Tars put(TarArchiveEntry e, byte[] content) {
    try {
      tar.putArchiveEntry(e);
      if (content != null) {
        tar.write(content);
      }
      tar.closeArchiveEntry();
      return this;
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  public byte[] bytes() {
    try {
      tar.finish();
      tar.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public byte[] gzipped() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(bytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
