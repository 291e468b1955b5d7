package dev.phantom.gateway.audit;

import io.vertx.core.json.JsonObject;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Who did what, as JSON lines: time, caller (key name, never key material), front door, operation,
 * sandbox, profile, decision and status. Never file contents or output. Written by one background
 * thread so that calls never wait for the disk; rotated by size ({@code audit.log.1} is the newest
 * old file).
 */
public final class AuditLog implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(AuditLog.class.getName());
  public static final long DEFAULT_MAX_BYTES = 16L << 20;
  public static final int DEFAULT_KEEP = 5;

  /** One audited call; empty strings for what does not apply. */
  public record Event(Instant time, String caller, String api, String operation, String sandboxId, String profile,
      String decision, String status) {

    JsonObject toJson() {
      JsonObject json = new JsonObject().put("time", time.toString()).put("caller", caller).put("api", api)
          .put("operation", operation).put("decision", decision).put("status", status);
      if (!sandboxId.isEmpty()) {
        json.put("sandbox", sandboxId);
      }
      if (!profile.isEmpty()) {
        json.put("profile", profile);
      }
      return json;
    }
  }

  private final Path file;
  private final long maxBytes;
  private final int keep;
  private final ExecutorService writer;
  private BufferedWriter out;
  private long size;

  private AuditLog(Path file, long maxBytes, int keep) {
    this.file = file;
    this.maxBytes = maxBytes;
    this.keep = keep;
    this.writer = file == null ? null : Executors.newSingleThreadExecutor(
        Thread.ofPlatform().name("phantom-audit").daemon(true).factory());
  }

  /** Audits nothing. */
  public static AuditLog none() {
    return new AuditLog(null, 0, 0);
  }

  public static AuditLog toFile(Path file, long maxBytes, int keep) {
    return new AuditLog(file, maxBytes, keep);
  }

  /** False for {@link #none()}: callers may skip building events. */
  public boolean enabled() {
    return writer != null;
  }

  public void record(Event event) {
    if (writer == null) {
      return;
    }
    String line = event.toJson().encode() + "\n";
    writer.execute(() -> append(line));
  }

  private void append(String line) {
    try {
      if (out == null) {
        Files.createDirectories(file.toAbsolutePath().getParent());
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        size = Files.size(file);
      }
      if (size + line.length() > maxBytes && size > 0) {
        rotate();
      }
      out.write(line);
      out.flush();
      size += line.getBytes(StandardCharsets.UTF_8).length;
    } catch (IOException e) {
      LOG.warning("audit log " + file + " could not be written: " + e.getMessage());
    }
  }

  private void rotate() throws IOException {
    out.close();
    for (int i = keep - 1; i >= 1; i--) {
      Path older = Path.of(file + "." + i);
      if (Files.exists(older)) {
        Files.move(older, Path.of(file + "." + (i + 1)), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Files.move(file, Path.of(file + ".1"), StandardCopyOption.REPLACE_EXISTING);
    out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    size = 0;
  }

  /** Writes what is queued, then closes the file. */
  @Override
  public void close() {
    if (writer == null) {
      return;
    }
    writer.shutdown();
    try {
      writer.awaitTermination(5, TimeUnit.SECONDS);
      if (out != null) {
        out.close();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      LOG.warning("audit log " + file + " did not close cleanly: " + e.getMessage());
    }
  }
}
