package dev.phantom.store;

import java.time.InstantSource;
import java.util.logging.Logger;

/**
 * Opens the store on first use rather than at start: a node that never touches images creates
 * nothing on disk, and an embedded one-shot command ({@code phantom run}) starts even while a
 * long-running node holds the data directory. A failed open is retried by the next call.
 */
public final class StoreHolder implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(StoreHolder.class.getName());

  private final StoreConfig config;
  private final StoreMetrics metrics;
  private FragmentStore store;

  public StoreHolder(StoreConfig config, StoreMetrics metrics) {
    this.config = config;
    this.metrics = metrics;
  }

  /** The open store; blocking the first time. @throws dev.phantom.store.core.StoreException LOCKED or IO when it cannot be opened */
  public synchronized FragmentStore get() {
    if (store == null) {
      store = FragmentStore.open(config.dataDir(), config.options(), InstantSource.system(), metrics);
      LOG.info("fragment store open at " + config.dataDir());
    }
    return store;
  }

  public StoreConfig config() {
    return config;
  }

  @Override
  public synchronized void close() {
    if (store != null) {
      store.close();
      store = null;
    }
  }
}
