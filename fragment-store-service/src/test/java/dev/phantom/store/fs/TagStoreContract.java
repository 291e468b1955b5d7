package dev.phantom.store.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phantom.store.core.Digest;
import dev.phantom.store.core.StoreException;
import dev.phantom.store.core.TagStore;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What every {@link TagStore} must do. */
public abstract class TagStoreContract {

  static final Digest A = Digest.of(new byte[] {1});
  static final Digest B = Digest.of(new byte[] {2});

  protected abstract TagStore tags();

  @Test
  void setResolveListDelete() {
    tags().set("python-ml:latest", A);
    tags().set("base:1.0", B);
    assertThat(tags().resolve("python-ml:latest")).contains(A);
    assertThat(tags().list()).isEqualTo(Map.of("base:1.0", B, "python-ml:latest", A));
    tags().set("python-ml:latest", B);
    assertThat(tags().resolve("python-ml:latest")).contains(B);
    assertThat(tags().delete("python-ml:latest")).isTrue();
    assertThat(tags().delete("python-ml:latest")).isFalse();
    assertThat(tags().resolve("python-ml:latest")).isEqualTo(Optional.empty());
  }

  @Test
  void namesAreCheckedAndCanonical() {
    tags().set("base", A);
    assertThat(tags().resolve("base:latest")).contains(A);
    for (String bad : new String[] {"../etc", "UPPER", "a/b", "a:b:c", "", ":x", "a:"}) {
      assertThatThrownBy(() -> tags().set(bad, A)).isInstanceOfSatisfying(StoreException.class,
          e -> assertThat(e.reason()).isEqualTo(StoreException.Reason.INVALID));
    }
  }
}
