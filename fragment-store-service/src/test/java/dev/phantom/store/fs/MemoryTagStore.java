package dev.phantom.store.fs;

import dev.phantom.store.core.Digest;
import dev.phantom.store.core.TagName;
import dev.phantom.store.core.TagStore;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;

/** A fake {@link TagStore} in memory. */
public final class MemoryTagStore implements TagStore {

  private final Map<String, Digest> tags = new ConcurrentSkipListMap<>();

  @Override
  public void set(String tag, Digest manifest) {
    tags.put(TagName.parse(tag), manifest);
  }

  @Override
  public Optional<Digest> resolve(String tag) {
    return Optional.ofNullable(tags.get(TagName.parse(tag)));
  }

  @Override
  public Map<String, Digest> list() {
    return new TreeMap<>(tags);
  }

  @Override
  public boolean delete(String tag) {
    return tags.remove(TagName.parse(tag)) != null;
  }
}
