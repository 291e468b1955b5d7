package dev.phantom.store.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.store.core.ChunkStore;
import dev.phantom.store.core.Digest;
import dev.phantom.store.core.StoreException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FsChunkStoreTest extends ChunkStoreContract {

  @TempDir
  Path dir;
  FsChunkStore store;
  final List<String> reported = new ArrayList<>();

  @BeforeEach
  void open() {
    store = new FsChunkStore("chunk", dir.resolve("chunks"), dir.resolve("tmp"), dir.resolve("quarantine"), 1,
        1 << 20, true, clock, (kind, digest, why) -> reported.add(kind + " " + digest.shortHex()));
  }

  @Override
  protected ChunkStore store() {
    return store;
  }

  @Test
  void objectsAreZstdFramesFannedOutByTheirFirstByte() throws Exception {
    byte[] data = new byte[50_000]; // zeros compress to almost nothing
    Digest d = store.put(data, 0, data.length).digest();
    Path file = dir.resolve("chunks").resolve(d.hex().substring(0, 2)).resolve(d.hex());
    assertThat(file).exists();
    assertThat(Files.size(file)).isLessThan(100);
    assertThat(dev.phantom.store.KillNineIT.filesUnder(dir.resolve("tmp"))).isEmpty();
  }

  @Test
  void aFlippedByteIsDetectedReportedSetAsideAndNeverServed() throws Exception {
    byte[] data = new byte[200_000];
    new Random(3).nextBytes(data);
    Digest d = store.put(data, 0, data.length).digest();
    Path file = dir.resolve("chunks").resolve(d.hex().substring(0, 2)).resolve(d.hex());
    byte[] onDisk = Files.readAllBytes(file);
    onDisk[onDisk.length / 2] ^= 0x01;
    Files.write(file, onDisk);

    assertThatThrownBy(() -> store.get(d)).isInstanceOfSatisfying(StoreException.class, e -> {
      assertThat(e.reason()).isEqualTo(StoreException.Reason.CORRUPT);
      assertThat(e.getMessage()).contains(d.hex()).contains("not served");
    });
    assertThat(reported).containsExactly("chunk " + d.shortHex());
    assertThat(store.contains(d)).isFalse();
    assertThat(Files.list(dir.resolve("quarantine"))).hasSize(1);

    // Putting it again heals the store.
    assertThat(store.put(data, 0, data.length).written()).isTrue();
    assertThat(store.get(d)).isEqualTo(data);
  }

  @Test
  void bytesThatAreNotZstdAreCorruptToo() throws Exception {
    Digest d = store.put(new byte[] {1, 2, 3}, 0, 3).digest();
    Files.write(dir.resolve("chunks").resolve(d.hex().substring(0, 2)).resolve(d.hex()), new byte[] {9, 9, 9});
    assertThatThrownBy(() -> store.get(d)).isInstanceOfSatisfying(StoreException.class,
        e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.CORRUPT));
  }

  @Test
  void objectsLargerThanTheLimitAreRefused() {
    assertThatThrownBy(() -> store.put(new byte[(1 << 20) + 1], 0, (1 << 20) + 1))
        .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.INVALID));
  }
}
