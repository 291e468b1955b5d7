package dev.phantom.store.core;

import java.util.Map;
import java.util.Optional;

/** Names for manifests. Each change is atomic and durable when the method returns. Blocking; thread-safe. */
public interface TagStore {

  void set(String tag, Digest manifest);

  Optional<Digest> resolve(String tag);

  /** Every tag and the manifest it names, sorted by tag. */
  Map<String, Digest> list();

  /** True when the tag existed. */
  boolean delete(String tag);
}
