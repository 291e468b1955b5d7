package dev.phantom.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {

  private static AuditLog.Event event(int i) {
    return new AuditLog.Event(Instant.parse("2026-01-01T00:00:00Z"), "ci", "grpc", "Run", "", "minimal",
        "allowed", "OK-" + i);
  }

  @Test
  void eachEventIsOneJsonLine(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("audit.log");
    try (AuditLog log = AuditLog.toFile(file, 1 << 20, 3)) {
      log.record(event(1));
      log.record(event(2));
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(2);
    JsonObject first = new JsonObject(lines.get(0));
    assertThat(first.getString("caller")).isEqualTo("ci");
    assertThat(first.getString("operation")).isEqualTo("Run");
    assertThat(first.getString("profile")).isEqualTo("minimal");
    assertThat(first.containsKey("sandbox")).isFalse();
  }

  @Test
  void aFullFileRotatesAndOnlyTheNewestAreKept(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("audit.log");
    try (AuditLog log = AuditLog.toFile(file, 300, 2)) {
      for (int i = 0; i < 20; i++) {
        log.record(event(i));
      }
    }
    assertThat(Files.size(file)).isLessThanOrEqualTo(300);
    assertThat(dir.resolve("audit.log.1")).exists();
    assertThat(dir.resolve("audit.log.2")).exists();
    assertThat(dir.resolve("audit.log.3")).doesNotExist();
    assertThat(Files.readString(file)).contains("OK-19");
  }
}
