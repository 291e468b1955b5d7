package dev.phantom.store.fs;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.store.core.StoreException;
import dev.phantom.store.core.TagStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FsTagStoreTest extends TagStoreContract {

  @TempDir
  Path dir;
  FsTagStore tags;

  @BeforeEach
  void open() {
    tags = new FsTagStore(dir.resolve("tags"), dir.resolve("tmp"));
  }

  @Override
  protected TagStore tags() {
    return tags;
  }

  @Test
  void anUnreadableTagStopsListingSoThatNothingItNamesIsCollected() throws Exception {
    Files.writeString(dir.resolve("tags").resolve("x:latest"), "garbage");
    assertThatThrownBy(() -> tags.list()).isInstanceOfSatisfying(StoreException.class,
        e -> org.assertj.core.api.Assertions.assertThat(e.reason()).isEqualTo(StoreException.Reason.CORRUPT));
  }
}
