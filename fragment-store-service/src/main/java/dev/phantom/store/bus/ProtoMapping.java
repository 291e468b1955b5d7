package dev.phantom.store.bus;

import com.google.protobuf.ByteString;
import dev.phantom.proto.store.v1.GcReport;
import dev.phantom.proto.store.v1.ImportResult;
import dev.phantom.proto.store.v1.StoreStats;

/** Store results to {@code phantom.store.v1} messages. */
final class ProtoMapping {

  private ProtoMapping() {}

  static StoreStats stats(dev.phantom.store.StoreStats s) {
    return StoreStats.newBuilder().setTags(s.tags()).setManifests(s.manifests()).setChunks(s.chunks())
        .setTrees(s.trees()).setLogicalBytes(s.logicalBytes()).setUniqueBytes(s.uniqueBytes())
        .setStoredBytes(s.storedBytes()).setDedupRatio(s.dedupRatio()).setSavingsRatio(s.savingsRatio()).build();
  }

  static GcReport gc(dev.phantom.store.GcReport r) {
    return GcReport.newBuilder().setCutoffUnixMs(r.cutoff().toEpochMilli()).setRoots(r.roots())
        .setReachableTrees(r.reachableTrees()).setReachableChunks(r.reachableChunks()).setDeletedTrees(r.deletedTrees())
        .setDeletedChunks(r.deletedChunks()).setFreedBytes(r.freedBytes()).setKeptYoung(r.keptYoung())
        .setTookMs(r.took().toMillis()).build();
  }

  static ImportResult result(dev.phantom.store.ingest.ImportResult r) {
    return ImportResult.newBuilder().setTag(r.tag()).setManifest(ByteString.copyFrom(r.manifest().toBytes()))
        .setManifestHex(r.manifest().hex()).setFormat(r.format()).setLayers(r.layers()).setFiles(r.files())
        .setLogicalBytes(r.logicalBytes()).setChunks(r.chunks()).setNewChunks(r.newChunks())
        .setNewStoredBytes(r.newStoredBytes()).setTookMs(r.took().toMillis()).build();
  }
}
