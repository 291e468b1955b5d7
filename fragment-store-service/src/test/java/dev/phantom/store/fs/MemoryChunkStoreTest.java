package dev.phantom.store.fs;

import dev.phantom.store.core.ChunkStore;

class MemoryChunkStoreTest extends ChunkStoreContract {

  private final MemoryChunkStore store = new MemoryChunkStore(clock);

  @Override
  protected ChunkStore store() {
    return store;
  }
}
