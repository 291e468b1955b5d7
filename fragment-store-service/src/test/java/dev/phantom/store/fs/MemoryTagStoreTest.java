package dev.phantom.store.fs;

import dev.phantom.store.core.TagStore;

class MemoryTagStoreTest extends TagStoreContract {

  private final MemoryTagStore tags = new MemoryTagStore();

  @Override
  protected TagStore tags() {
    return tags;
  }
}
