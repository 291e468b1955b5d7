package dev.phantom.zygote.image;

import dev.phantom.store.core.Digest;
import io.vertx.core.Future;
import java.util.List;

/** Where a node gets what its cache lacks: the fragment store (over the event bus in production). */
public interface ImageSource {

  /** At most this many chunks per {@link #chunks} call (the store's GetChunks batch limit). */
  int MAX_CHUNKS_PER_CALL = 64;

  /** A tag's manifest digest. */
  Future<Digest> resolve(String tag);

  /** Every tree node of a manifest, canonical bytes, unverified (the caller checks each digest). */
  Future<List<byte[]>> manifest(Digest root);

  /** The chunks asked for (at most {@value #MAX_CHUNKS_PER_CALL}), in order, unverified. */
  Future<List<byte[]>> chunks(List<Digest> digests);
}
